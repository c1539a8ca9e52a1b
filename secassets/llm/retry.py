"""Retry with backoff, written once: the LLM client, the vision client and the alert sender all use it.

Delays are deterministic (backoff_s * 2**n, capped at max_delay_s, no jitter) so test timings and
logs reproduce. What is worth another attempt is the caller's to say: exception types in
``retry_on``, narrowed by a ``retryable`` predicate (e.g. a 429 yes, a 404 no). ``sleep`` is
injectable so tests record the delays instead of waiting them out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

MAX_DELAY_S = 30.0
T = TypeVar("T")


def backoff_delay(retry: int, backoff_s: float, max_delay_s: float = MAX_DELAY_S) -> float:
    """Seconds to wait before retry number `retry` (0 for the first retry): exponential, capped."""
    return min(max_delay_s, backoff_s * 2**retry)


def with_retries(
    attempt: Callable[[], T],
    *,
    attempts: int,
    backoff_s: float,
    retry_on: tuple[type[BaseException], ...],
    retryable: Callable[[BaseException], bool] | None = None,
    before_retry: Callable[[BaseException], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    max_delay_s: float = MAX_DELAY_S,
) -> T:
    """Call attempt until it returns, at most `attempts` times (at least once).

    An exception of a `retry_on` type that `retryable` accepts (all of them when it is None) is
    retried after `before_retry(exc)` and a backoff_delay; any other exception, and the last one,
    propagates unchanged. `sleep` defaults to time.sleep, looked up at each call.
    """
    for n in range(max(1, attempts)):
        try:
            return attempt()
        except retry_on as exc:
            if n >= attempts - 1 or (retryable is not None and not retryable(exc)):
                raise
            if before_retry is not None:
                before_retry(exc)
            (sleep or time.sleep)(backoff_delay(n, backoff_s, max_delay_s))
    raise AssertionError("unreachable")
