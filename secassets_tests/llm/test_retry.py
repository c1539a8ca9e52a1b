"""The one retry policy: attempt counts, deterministic capped delays, what is retried and what is not."""

import pytest

from secassets.llm.retry import MAX_DELAY_S, backoff_delay, with_retries


class Flaky:
    """Raises the given exceptions in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_delays_double_and_stop_at_the_cap():
    assert [backoff_delay(n, 1.0) for n in range(7)] == [1, 2, 4, 8, 16, MAX_DELAY_S, MAX_DELAY_S]
    assert backoff_delay(3, 0.5, max_delay_s=2.0) == 2.0


def test_retries_until_success_and_reports_each_retry():
    delays, seen = [], []
    attempt = Flaky(TimeoutError("a"), TimeoutError("b"))
    result = with_retries(attempt, attempts=3, backoff_s=0.5, retry_on=(TimeoutError,),
                          before_retry=lambda exc: seen.append(str(exc)), sleep=delays.append)
    assert result == "ok" and attempt.calls == 3
    assert delays == [0.5, 1.0] and seen == ["a", "b"]


def test_the_last_error_propagates_after_every_attempt():
    delays = []
    attempt = Flaky(*(TimeoutError(str(i)) for i in range(5)))
    with pytest.raises(TimeoutError, match="^2$"):
        with_retries(attempt, attempts=3, backoff_s=0.1, retry_on=(TimeoutError,), sleep=delays.append)
    assert attempt.calls == 3 and len(delays) == 2


def test_what_is_not_retryable_propagates_at_once():
    delays = []
    other = Flaky(ValueError("not transient"))
    with pytest.raises(ValueError):
        with_retries(other, attempts=4, backoff_s=0.1, retry_on=(TimeoutError,), sleep=delays.append)
    refused = Flaky(TimeoutError("404"))
    with pytest.raises(TimeoutError):
        with_retries(refused, attempts=4, backoff_s=0.1, retry_on=(TimeoutError,),
                     retryable=lambda exc: str(exc) != "404", sleep=delays.append)
    assert other.calls == refused.calls == 1 and delays == []


def test_at_least_one_attempt():
    assert with_retries(Flaky(), attempts=0, backoff_s=1.0, retry_on=(TimeoutError,)) == "ok"
