"""Labeled cases from elsewhere: the curated_cases asset and its checks (the rubric against human labels)."""
