"""Vocabularies, row models, the Arrow schema and row validation: no I/O."""
