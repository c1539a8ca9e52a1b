"""Stage 3: sentence embedders and their vector cache."""
