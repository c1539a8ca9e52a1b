"""Stage 2, scenarios: synthetic detection batches with their ground truth, and their checks."""
