"""Stage 1: the sampling plan (SamplerSpec), its Data Designer config and YAML, implied marginals."""
