"""Stage 7: templates, the runner, parsing, per-row scoring, statistics, the leaderboard and its report."""
