"""Stage 5, enrichment edge cases: six targeted families."""
