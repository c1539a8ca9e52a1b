"""Stage 1, sampler config: the NeMo Data Designer config of the seven weighted sampler columns."""
