"""An OpenAI-compatible chat-completions client (Perplexity by default).

One long-lived httpx client with timeouts. Tenacity retries, with exponential
backoff and jitter, only what may pass: transport errors, timeouts, 429 and
5xx. API keys rotate on 401 and 429. Every call to `complete` is bounded by a
time budget (the caller keeps it well inside one period), and each HTTP call
is recorded so the worker can count calls, errors and latencies. A `cancel`
event (set when the AI is switched off or the worker stops) ends `complete` at
once: no attempt starts after it is set, a backoff wait is cut short, and a
request already under way is abandoned (its answer, if any, is ignored).
Keys never appear in messages or logs.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import httpx
from tenacity import (Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay,
                      wait_exponential_jitter)

from lottery.httputil import retry_after_seconds

log = logging.getLogger("lottery.ai.provider")


@dataclass(frozen=True)
class Call:
    """One HTTP request to the provider and how it went."""

    ok: bool
    latency_ms: float
    status: int | None  # None when no response came (timeout, transport error)
    error: str | None = None


@dataclass
class Completion:
    """The model's answer text, the time the whole attempt took and its HTTP calls."""

    text: str | None
    latency_ms: float
    calls: list[Call] = field(default_factory=list)


class ProviderError(Exception):
    """No usable answer: the reason is safe to store and show (never a key)."""

    def __init__(self, reason: str, calls: list[Call] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.calls = calls or []


class Cancelled(ProviderError):
    """`complete` was cancelled: the AI was switched off or the worker is stopping."""


class _Retry(Exception):
    """A failed call worth another attempt (internal to `complete`)."""

    def __init__(self, reason: str, retry_after: float = 0.0, immediate: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.immediate = immediate


class ChatProvider:
    """Ask an OpenAI-compatible `/chat/completions` endpoint for one answer at a time."""

    def __init__(self, base_url: str, model: str, api_keys, timeout: float = 10.0, *,
                 max_attempts: int = 4, backoff_initial: float = 0.5, backoff_max: float = 8.0,
                 jitter: float = 0.5, max_tokens: int = 200):
        self.model = model
        self.keys = [k for k in api_keys if k]
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_tokens = max_tokens
        self._key = 0
        self._backoff = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max,
                                                jitter=jitter)
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            headers={"Accept": "application/json", "User-Agent": "lottery-ai-worker/1"})

    @classmethod
    def from_settings(cls, settings, **options) -> "ChatProvider":
        """Build the provider from AI_BASE_URL, AI_MODEL, AI_API_KEYS and AI_TIMEOUT."""
        return cls(settings.ai_base_url, settings.ai_model, settings.ai_api_keys,
                   settings.ai_timeout, **options)

    @property
    def configured(self) -> bool:
        return bool(self.keys)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    def complete(self, messages: list[dict], budget: float,
                 cancel: threading.Event | None = None) -> Completion:
        """Return the answer to `messages` within `budget` seconds, or raise ProviderError."""
        if not self.keys:
            raise ProviderError("disabled: no API key")
        cancel = cancel or threading.Event()
        calls: list[Call] = []
        rejected: set[int] = set()
        start = time.monotonic()
        deadline = start + budget
        body = {"model": self.model, "messages": messages, "temperature": 0.2,
                "max_tokens": self.max_tokens}

        def attempt() -> str | None:
            if cancel.is_set():
                raise Cancelled(_cancel_reason(cancel))
            return self._call(body, deadline, calls, rejected, cancel)

        retrying = Retrying(retry=retry_if_exception_type(_Retry),
                            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(budget),
                            wait=self._wait, sleep=cancel.wait, reraise=True)
        try:
            text = retrying(attempt)
        except _Retry as exc:
            raise ProviderError(f"gave up after {len(calls)} attempt(s): {exc.reason}",
                                calls) from None
        except ProviderError as exc:
            exc.calls = calls
            raise
        return Completion(text, (time.monotonic() - start) * 1000.0, calls)

    def _call(self, body: dict, deadline: float, calls: list[Call], rejected: set[int],
              cancel: threading.Event):
        remaining = deadline - time.monotonic()
        if remaining <= 0.01:
            raise _Retry("time budget spent")
        index = self._key
        headers = {"Authorization": f"Bearer {self.keys[index]}"}
        t0 = time.monotonic()
        try:
            resp = self._post(body, headers, min(self.timeout, remaining), cancel)
        except Cancelled:
            calls.append(Call(False, _ms(t0), None, "cancelled"))
            raise
        except httpx.TimeoutException:
            calls.append(Call(False, _ms(t0), None, "timeout"))
            raise _Retry("timeout") from None
        except httpx.TransportError as exc:
            calls.append(Call(False, _ms(t0), None, type(exc).__name__))
            raise _Retry(f"transport error ({type(exc).__name__})") from None
        latency = _ms(t0)
        status = resp.status_code
        if status == 401:
            calls.append(Call(False, latency, status, "HTTP 401"))
            rejected.add(index)
            self._rotate()
            if len(rejected) < len(self.keys):
                log.warning("provider rejected API key #%d (HTTP 401); trying the next", index + 1)
                raise _Retry("HTTP 401", immediate=True)
            raise ProviderError("HTTP 401: every configured API key was rejected")
        if status == 429:
            calls.append(Call(False, latency, status, "HTTP 429"))
            self._rotate()
            raise _Retry("HTTP 429 (rate limited)",
                         retry_after=retry_after_seconds(resp.headers.get("retry-after")) or 0.0)
        if status >= 500:
            calls.append(Call(False, latency, status, f"HTTP {status}"))
            raise _Retry(f"HTTP {status}")
        if status >= 400:
            calls.append(Call(False, latency, status, f"HTTP {status}"))
            raise ProviderError(f"HTTP {status} from the provider")
        try:
            text = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            calls.append(Call(False, latency, status, "malformed response"))
            raise ProviderError("malformed response: no choices[0].message.content") from None
        if text is not None and not isinstance(text, str):
            calls.append(Call(False, latency, status, "malformed response"))
            raise ProviderError("malformed response: message content is not text")
        calls.append(Call(True, latency, status))
        return text

    def _post(self, body: dict, headers: dict, timeout: float,
              cancel: threading.Event) -> httpx.Response:
        """POST in a helper thread so a cancel abandons the request instead of waiting it out."""
        done = threading.Event()
        out: dict = {}

        def run() -> None:
            try:
                out["resp"] = self.client.post("/chat/completions", json=body, headers=headers,
                                               timeout=timeout)
            except BaseException as exc:  # handed to the waiting thread
                out["exc"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="ai-provider-call", daemon=True).start()
        # The cancel flag is checked every 50 ms; the request itself ends by its own timeout.
        while not done.wait(0.05):
            if cancel.is_set():
                raise Cancelled(_cancel_reason(cancel))
        if "exc" in out:
            raise out["exc"]
        return out["resp"]

    def _rotate(self) -> None:
        self._key = (self._key + 1) % len(self.keys)

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Retry) and exc.immediate:
            return 0.0
        wait = self._backoff(retry_state)
        if isinstance(exc, _Retry):
            wait = max(wait, exc.retry_after)
        return wait


def _cancel_reason(cancel: threading.Event) -> str:
    return getattr(cancel, "reason", None) or "cancelled"


def _ms(t0: float) -> float:
    return (time.monotonic() - t0) * 1000.0
