"""The `http` source for crash rounds: a platform's round history, polled incrementally.

Rows carry a round id, the multiplier and optionally the round's hash (field
names are settings; the defaults are the streak API's `GET /games/` fields:
game_id, crash_point, hash_value). With `{offset}` in CRASH_SOURCE_URL the
history is read newest page first and paged back until a page reaches the
newest stored round (at most CRASH_SOURCE_MAX_PAGES pages a poll; a first start
reads one page); `{after}` passes the newest stored round for platforms that
filter themselves.

All or nothing: a round is stored only when every row of the poll is valid. A
bad row (no id, a multiplier that is not a number, below 1.00, NaN or absurd,
a round repeated with another multiplier, a hash that does not give its
multiplier under CRASH_SOURCE_PROFILE or does not chain to the next round's)
rejects the whole poll with one log line naming the row and the reason, so a
half-read page never leaves a hole that looks like a real history. HTTP
failures are retried with bounds by the shared http source machinery.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import quote

from lottery.config import Settings
from lottery.games import Draw, Game
from lottery.games.crash import get_profile, previous_hash, to_cents
from lottery.sources.base import SourceError, make_draw
from lottery.sources.http_source import (DRAWN_AT_FIELDS, MAX_PROBLEM_CHARS, HttpSource,
                                         _follow, _Malformed, safe_url, unexpected)

log = logging.getLogger("lottery.sources.crash_http")

TIME_FIELDS = ("end_time", "time", "created_at") + DRAWN_AT_FIELDS


class BadRows(ValueError):
    """A row of the history that cannot be stored (the whole poll is rejected)."""


def parse_rounds(payload: Any, game: Game, list_path: str, id_field: str, multiplier_field: str,
                 hash_field: str, profile: str | None = None,
                 source: str = "http") -> list[tuple[Draw, str | None]]:
    """Return [(draw, hash or None)] of a decoded page, oldest first, or raise BadRows."""
    try:
        rows = _follow(payload, list_path) if list_path else payload
    except LookupError as missing:
        raise BadRows(f"no list at {list_path!r} (missing {str(missing.args[0])[:50]!r})") from None
    if not isinstance(rows, list):
        raise BadRows(f"{list_path or 'the body'} is a {type(rows).__name__}, not a list")
    checker = get_profile(profile) if profile else None
    out: dict[str, tuple[Draw, str | None]] = {}
    for index, row in enumerate(rows):
        where = f"row {index}"
        if not isinstance(row, dict):
            raise BadRows(f"{where}: not an object ({type(row).__name__})")
        when = next((row[f] for f in TIME_FIELDS if row.get(f) not in (None, "")), None)
        try:
            draw = make_draw(game, row.get(id_field), row.get(multiplier_field), when, source)
        except ValueError as exc:
            raise BadRows(f"{where}: {exc}"[:MAX_PROBLEM_CHARS]) from None
        h = row.get(hash_field)
        if h in (None, ""):
            h = None
        elif checker is not None:
            try:
                cents = checker.cents(h)
            except ValueError as exc:
                raise BadRows(f"{where} (round {draw.issue}): {exc}"[:MAX_PROBLEM_CHARS]) from None
            if cents != to_cents(draw.outcome):
                raise BadRows(f"{where} (round {draw.issue}): the hash gives {cents / 100:.2f}x "
                              f"under {checker.name}, the row says {draw.outcome:.2f}x")
        first = out.get(draw.issue)
        if first is not None and (first[0].outcome, first[1]) != (draw.outcome, h):
            raise BadRows(f"{where}: round {draw.issue} repeated with another multiplier or hash")
        out[draw.issue] = (draw, h)
    return sorted(out.values(), key=lambda dh: game.issue_ordinal(dh[0].issue))


class CrashHttpSource(HttpSource):
    """Crash rounds from a JSON round-history endpoint (CRASH_SOURCE_URL or SOURCE_URL)."""

    def __init__(self, settings: Settings, client=None, **kwargs):
        url = settings.crash_source_url or settings.source_url
        super().__init__(settings.with_(source_url=url), client, **kwargs)
        self.list_path = settings.crash_source_list_path
        self.id_field = settings.crash_source_id_field
        self.multiplier_field = settings.crash_source_multiplier_field
        self.hash_field = settings.crash_source_hash_field
        self.profile = settings.crash_source_profile
        self.page_size = settings.crash_source_page_size
        self.max_pages = settings.crash_source_max_pages
        self.pages = "{offset}" in self.url_template

    def page_url(self, game: Game, offset: int, after: str | None) -> str:
        """Return the URL of one page of a game's history."""
        return (self.url_for(game).replace("{offset}", str(offset))
                .replace("{limit}", str(self.page_size))
                .replace("{after}", quote(after or "", safe="")))

    def fetch(self, game: Game, after_issue: str | None, until_issue: str | None,
              now: datetime) -> list[Draw]:
        """Return rounds newer than `after_issue`, oldest first: all of the poll's or none."""
        low = game.issue_ordinal(after_issue) if after_issue else None
        found: dict[str, tuple[Draw, str | None]] = {}
        url = self.page_url(game, 0, after_issue)
        try:
            for page in range(self.max_pages if (self.pages and low is not None) else 1):
                url = self.page_url(game, page * self.page_size, after_issue)
                rows = parse_rounds(self._get_json(url), game, self.list_path, self.id_field,
                                    self.multiplier_field, self.hash_field, self.profile,
                                    self.name)
                for draw, h in rows:
                    seen = found.get(draw.issue)
                    if seen is not None and (seen[0].outcome, seen[1]) != (draw.outcome, h):
                        raise BadRows(f"round {draw.issue} changed between pages")
                    found[draw.issue] = (draw, h)
                if (len(rows) < self.page_size or low is None
                        or any(game.issue_ordinal(d.issue) <= low for d, _ in rows)):
                    break  # the end of the history, or back at what is stored
            else:
                if self.pages and low is not None:
                    log.warning("%s %s: still %d pages short of round %s; older rounds will be "
                                "recorded missing", game.code, safe_url(url), self.max_pages,
                                after_issue)
            ordered = sorted(found.values(), key=lambda dh: game.issue_ordinal(dh[0].issue))
            self._check_chain(ordered)
        except BadRows as exc:
            log.warning("%s %s: rejected this poll, nothing stored: %s", game.code,
                        safe_url(url), exc)
            raise SourceError(f"{safe_url(url)}: bad rows ({exc})") from None
        except _Malformed as exc:
            log.warning("%s %s: malformed body: %s; nothing stored", game.code, safe_url(url), exc)
            raise SourceError(f"{safe_url(url)}: {exc}") from None
        except SourceError:
            raise
        except Exception as exc:  # the worker must only ever see SourceError
            raise unexpected(log, game, url, exc) from exc
        high = game.issue_ordinal(until_issue) if until_issue else None
        return [d for d, _ in ordered
                if (low is None or game.issue_ordinal(d.issue) > low)
                and (high is None or game.issue_ordinal(d.issue) <= high)]

    def _check_chain(self, ordered: list[tuple[Draw, str | None]]) -> None:
        """Raise BadRows when consecutive rounds' hashes do not chain under the profile."""
        if not self.profile:
            return
        link = get_profile(self.profile).link
        for (a, ha), (b, hb) in zip(ordered, ordered[1:]):
            if ha and hb and int(b.issue) == int(a.issue) + 1 and previous_hash(hb, link) != ha:
                raise BadRows(f"round {b.issue}'s hash does not chain to round {a.issue}'s")
