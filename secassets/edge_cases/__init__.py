"""Stage 5: the six edge-case families."""
