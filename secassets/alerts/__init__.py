"""Alert messages and their delivery."""
