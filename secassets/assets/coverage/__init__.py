"""Coverage assets: what the scenario set tests, and the edge cases it would rarely produce."""
