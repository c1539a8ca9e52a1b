"""API keys come from the environment only: the project stores the variable's name, never the key."""

from __future__ import annotations

import os


class MissingCredentialError(RuntimeError):
    """The environment variable that should hold an API key is not set."""


def bearer_headers(api_key_env: str | None, purpose: str) -> dict[str, str]:
    """{'Authorization': 'Bearer <key>'} from the named variable; {} when no variable is named."""
    if not api_key_env:
        return {}
    key = os.environ.get(api_key_env)
    if not key:
        raise MissingCredentialError(f"environment variable {api_key_env} is not set; export it to use {purpose}")
    return {"Authorization": f"Bearer {key}"}
