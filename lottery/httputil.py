"""What every outbound HTTP client here shares."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

import httpx
import tenacity


def retry_after_seconds(header: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Retryable(Exception):
    """An HTTP answer worth asking again for (429 or 5xx), with its Retry-After if any."""

    def __init__(self, status: int, retry_after: float | None = None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def retryable(status: int, headers) -> Retryable | None:
    """Return a Retryable for a 429 or 5xx answer (with its Retry-After), else None."""
    if status == 429 or status >= 500:
        return Retryable(status, retry_after_seconds(headers.get("Retry-After")))
    return None


def wait_retry_after(backoff):
    """Return a tenacity wait: the Retry-After a Retryable asked for, else `backoff`."""
    def wait(state) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return backoff(state)
    return wait


def refusal(status: int, headers, cap: float) -> str | None:
    """Return why an answer is final (raising Retryable when it is worth asking again), or None.

    None: a 2xx answer. A 429 or 5xx is retried unless its Retry-After is over `cap` seconds.
    """
    if 200 <= status < 300:
        return None
    again = retryable(status, headers)
    if again is None:
        return f"HTTP {status} (not retried)"
    if again.retry_after is not None and again.retry_after > cap:
        return f"HTTP {status}, asks to wait {again.retry_after:.0f} s (more than {cap:.0f})"
    raise again


def bounded_retries(attempts: int, max_elapsed: float, backoff,
                    sleep: Callable[[float], None],
                    before_sleep: Callable[[tenacity.RetryCallState], None]) -> tenacity.Retrying:
    """Return retries of transport errors and Retryable answers: at most `attempts` tries
    within `max_elapsed` seconds, waiting as a Retry-After asks or else `backoff`."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts) | tenacity.stop_before_delay(max_elapsed),
        wait=wait_retry_after(backoff),
        retry=tenacity.retry_if_exception_type((httpx.TransportError, Retryable)),
        before_sleep=before_sleep, sleep=sleep, reraise=True)
