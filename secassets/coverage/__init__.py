"""Stage 4: the coverage report of a scenario set, the distribution tests of its samplers, coverage plots."""
