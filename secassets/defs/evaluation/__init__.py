"""Stage 7, prompt evaluations per template, the leaderboard, its regression check, the nightly job."""
