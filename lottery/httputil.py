"""What every outbound HTTP client here shares."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


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
