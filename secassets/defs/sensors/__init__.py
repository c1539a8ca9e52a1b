"""Sensors: alerts on failed checks and runs."""
