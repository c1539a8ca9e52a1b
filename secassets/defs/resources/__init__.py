"""Dagster resources: the llama.cpp server, the embedding and vision models, the output folder."""
