"""Curated cases: labeled evaluation cases a person wrote (a folder per case or one table), read, validated,
mapped to the rubric's Observation through documented vocabulary tables, and checked against the rubric."""
