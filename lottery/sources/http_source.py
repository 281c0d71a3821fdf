"""The `http` draw source: a platform's JSON history endpoint.

The upstream platform serves `{"code":0,"data":{"list":[{"issueNumber":"...",
"number":"7"}, ...]}}`; the list path and field names are settings, so another
platform with the same idea but other names needs no code. One long-lived
httpx client is used per source. Transport errors, timeouts, 429 and 5xx are
retried with jittered exponential backoff (bounded attempts and total time);
any other 4xx fails at once. Whatever goes wrong surfaces as `SourceError`
(the worker tries again next period) or, for a malformed body, as a warning
and no draws: the worker never crashes on what a server sends.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import tenacity

from lottery.config import Settings
from lottery.games import Game
from lottery.games.base import _load
from lottery.httputil import Retryable, bounded_retries, refusal
from lottery.sources.base import Draw, SourceError, make_draw

log = logging.getLogger("lottery.sources.http")

# Fields an item may carry its draw time in, in order of preference.
DRAWN_AT_FIELDS = ("drawn_at", "drawTime", "draw_time", "drawnAt")
MAX_BODY_BYTES = 5 * 1024 * 1024  # a history page is a few kB; anything huge is not one
RETRY_AFTER_CAP = 10.0  # honour a server's Retry-After up to this many seconds
MAX_LOGGED_PROBLEMS = 5
MAX_PROBLEM_CHARS = 200


class _Malformed(Exception):
    """A body that cannot be a history page (too large, not JSON)."""


# -- pure parsing ------------------------------------------------------------------
def _follow(payload: Any, list_path: str) -> Any:
    """Return the value at a dotted path (digits index lists), or raise LookupError."""
    node = payload
    for part in (p for p in list_path.split(".") if p):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise LookupError(part)
    return node


def parse_history(payload: Any, game: Game, list_path: str, issue_field: str,
                  number_field: str, source: str = "http") -> tuple[list[Draw], list[str]]:
    """Return (draws oldest first, problems) from a decoded history body; never raise."""
    try:
        items = _follow(payload, list_path)
    except LookupError as missing:
        problem = f"no list at {list_path!r} (missing {missing.args[0]!r})"
        if isinstance(payload, dict) and payload.get("code") not in (None, 0, "0"):
            msg = str(payload.get("msg") or payload.get("message") or "")[:200]
            problem = f"upstream error code {str(payload.get('code'))[:50]!r}: {msg!r}; {problem}"
        return [], [problem]
    if not isinstance(items, list):
        return [], [f"{list_path!r} is a {type(items).__name__}, not a list"]
    draws: dict[str, Draw] = {}
    problems: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"item {index}: not an object ({type(item).__name__})")
            continue
        drawn_at = next((item[f] for f in DRAWN_AT_FIELDS if item.get(f) not in (None, "")), None)
        try:
            # A one-field outcome is read from the configured field, several by their names.
            raw = (item.get(number_field) if len(game.outcome_fields) == 1
                   else game.raw_outcome(item))
            draw = make_draw(game, item.get(issue_field), raw, drawn_at, source)
        except ValueError as exc:
            # Cut: a hostile body could make one reason as long as the body itself.
            problems.append(f"item {index}: {exc}"[:MAX_PROBLEM_CHARS])
            continue
        first = draws.get(draw.issue)
        if first is not None:
            if first.outcome != draw.outcome:
                problems.append(f"item {index}: issue {draw.issue} repeated with another outcome "
                                f"({draw.outcome} vs {first.outcome}); kept the first")
            continue
        draws[draw.issue] = draw
    ordered = sorted(draws.values(), key=lambda d: game.issue_ordinal(d.issue))
    return ordered, problems


# -- the source -------------------------------------------------------------------
def safe_url(url: str) -> str:
    """Return the URL without user info, query or fragment (safe to log)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def unexpected(logger: logging.Logger, game: Game, url: str, exc: Exception) -> SourceError:
    """Log an unexpected failure of a fetch and return the SourceError to raise instead."""
    logger.warning("%s %s: unexpected %s while fetching", game.code, safe_url(url),
                   type(exc).__name__)
    return SourceError(f"{safe_url(url)}: {type(exc).__name__}")


class HttpSource:
    """Draws from a JSON history endpoint (SOURCE_URL, may contain `{game}`)."""

    name = "http"

    def __init__(self, settings: Settings, client: httpx.Client | None = None, *,
                 backoff_initial: float = 0.5, backoff_max: float = 8.0,
                 max_elapsed: float = 20.0, sleep: Callable[[float], None] = time.sleep):
        if not settings.source_url:
            raise ValueError("the http source needs SOURCE_URL")
        self._settings = settings
        self._backoff_initial, self._backoff_max = backoff_initial, backoff_max
        self.url_template = settings.source_url
        self.list_path = settings.source_list_path
        self.issue_field = settings.source_issue_field
        self.number_field = settings.source_number_field
        self.timeout = settings.source_timeout
        self.attempts = settings.source_retries
        self.max_elapsed = max_elapsed
        self._headers = {"Accept": "application/json"}
        self._token = settings.source_token
        if settings.source_token:
            self._headers["Authorization"] = f"Bearer {settings.source_token}"
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial)
        self._sleep = sleep
        self._owns_client = client is None
        # Redirects are not followed: a moved endpoint is a configuration to fix,
        # and the bearer token must not travel to wherever a redirect points.
        self._client = client or httpx.Client(timeout=httpx.Timeout(self.timeout),
                                              follow_redirects=False)

    def _family_source(self, game: Game):
        """Return the family's own http reader (sharing this client), or None for the generic one."""
        path = getattr(game, "http_source_path", "")
        if not path or isinstance(self, _load(path)):
            return None
        readers = self.__dict__.setdefault("_readers", {})
        if path not in readers:
            readers[path] = _load(path)(self._settings, self._client, sleep=self._sleep,
                                        backoff_initial=self._backoff_initial,
                                        backoff_max=self._backoff_max,
                                        max_elapsed=self.max_elapsed)
        return readers[path]

    def url_for(self, game: Game) -> str:
        """Return the history URL of a game (`{game}` replaced by its code)."""
        return self.url_template.replace("{game}", quote(game.code, safe=""))

    def can_backfill(self) -> bool:
        """Return False: a history endpoint only serves a recent page."""
        return False

    def close(self) -> None:
        """Close the HTTP client when this source created it."""
        if self._owns_client:
            self._client.close()

    def fetch(self, game: Game, after_issue: str | None, until_issue: str,
              now: datetime) -> list[Draw]:
        """Return settled draws newer than `after_issue` up to `until_issue`, oldest first."""
        reader = self._family_source(game)
        if reader is not None:
            return reader.fetch(game, after_issue, until_issue, now)
        url = self.url_for(game)
        try:
            payload = self._get_json(url)
            draws, problems = parse_history(payload, game, self.list_path, self.issue_field,
                                            self.number_field, source=self.name)
            if problems:
                shown = "; ".join(problems[:MAX_LOGGED_PROBLEMS])
                if self._token:  # a body may echo anything, even our own token
                    shown = shown.replace(self._token, "***")
                log.warning("%s %s: skipped %d malformed part(s) of the body: %s%s", game.code,
                            safe_url(url), len(problems), shown,
                            " ..." if len(problems) > MAX_LOGGED_PROBLEMS else "")
            low = game.issue_ordinal(after_issue) if after_issue else float("-inf")
            high = game.issue_ordinal(until_issue) if until_issue else float("inf")
            return [d for d in draws if low < game.issue_ordinal(d.issue) <= high]
        except _Malformed as exc:
            log.warning("%s %s: malformed body: %s; no draws this time", game.code,
                        safe_url(url), exc)
            return []
        except SourceError:
            raise
        except Exception as exc:  # the worker must only ever see SourceError
            raise unexpected(log, game, url, exc) from exc

    # -- HTTP with retries ------------------------------------------------------
    def _get_json(self, url: str) -> Any:
        body = self._get_with_retries(url)
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise _Malformed(f"not JSON ({len(body)} bytes, {type(exc).__name__})") from None

    def _get_with_retries(self, url: str) -> bytes:
        retrying = bounded_retries(self.attempts, self.max_elapsed, self._backoff, self._sleep,
                                   lambda state: self._log_retry(url, state))
        try:
            return retrying(self._get_once, url)
        except (httpx.TransportError, Retryable) as exc:
            attempts = retrying.statistics.get("attempt_number", self.attempts)
            log.warning("%s: giving up after %d attempt(s): %s", safe_url(url), attempts,
                        _describe(exc))
            raise SourceError(f"{safe_url(url)}: {_describe(exc)} "
                              f"after {attempts} attempt(s)") from exc
        except httpx.HTTPError as exc:  # invalid URL and the like: no point retrying
            raise SourceError(f"{safe_url(url)}: {_describe(exc)}") from exc

    def _get_once(self, url: str) -> bytes:
        started = time.monotonic()
        with self._client.stream("GET", url, headers=self._headers) as resp:
            refused = refusal(resp.status_code, resp.headers, RETRY_AFTER_CAP)
            if refused:
                raise SourceError(f"{safe_url(url)}: {refused}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise _Malformed(f"larger than {MAX_BODY_BYTES} bytes")
                # A server dripping bytes would evade the per-read timeout.
                if time.monotonic() - started > 3 * self.timeout:
                    raise httpx.ReadTimeout("body took too long")
            return bytes(body)

    def _log_retry(self, url: str, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s: attempt %d failed (%s); retrying in %.2f s", safe_url(url),
                 state.attempt_number, _describe(exc), state.upcoming_sleep)


def _describe(exc: BaseException | None) -> str:
    """Return a short reason for a failure (no URLs or headers)."""
    if isinstance(exc, Retryable):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    return type(exc).__name__ if exc is not None else "unknown error"
