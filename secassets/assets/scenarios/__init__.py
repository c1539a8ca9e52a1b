"""Scenario assets: the sampler configuration and the generated scenarios table."""
