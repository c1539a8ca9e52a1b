"""Faults and bad input, injected through the real components (issue: alerts, keys, crashes)."""
