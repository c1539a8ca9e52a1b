"""Stage 3, embeddings of the scenarios' text from a real embedding model."""
