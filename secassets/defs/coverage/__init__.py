"""Stage 4, coverage report: distributions, gaps, cross-tabs, validity, diversity."""
