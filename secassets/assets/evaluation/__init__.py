"""Evaluation assets: prompt evaluations per template and the template leaderboard."""
