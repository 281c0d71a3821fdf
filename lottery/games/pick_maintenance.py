"""Pick-lottery data maintenance: what is wrong with a set of draw records, with examples.

A pure function over (issue, record) pairs, so it serves stored draws (legacy
data written before the checks existed) and a CSV file alike. Each problem has
one category, checked in this order:
- `unreadable`: not a JSON object with `whites` and `bonus` lists of whole numbers;
- `off_calendar`: the date is not a date, precedes the first era, or is no draw day;
- `duplicates`: a second record for a draw date already seen (another spelling of it);
- `era_mismatch`: the numbers do not fit the era of the date but do fit another era
  (for example 5/59 + 1/39 balls under a 2020 date), or the record's stored `era` is
  not the era of its date: an era is chosen by the date, never by the numbers;
- `out_of_range`: the numbers fit no era (outside 1..N, repeated, too few or too many).
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Iterable

from lottery.games.pick import PickLottery
from lottery.games.pick_csv import parse_date

CATEGORIES = ("unreadable", "off_calendar", "duplicates", "era_mismatch", "out_of_range")
EXAMPLES = 10  # per category: enough to find the pattern, bounded for any size of data


def _day(issue: str) -> date:
    try:
        return parse_date(issue)
    except ValueError:
        # Legacy spellings such as 2024-1-3 are still the same draw date.
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", issue or "")
        if not m:
            raise
        return date(int(m[1]), int(m[2]), int(m[3]))


def _balls(record: Any) -> tuple[list[int], list[int]]:
    if isinstance(record, (str, bytes)):
        record = json.loads(record)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    parts = []
    for name in ("whites", "bonus"):
        value = record.get(name)
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"`{name}` is not a list of whole numbers")
        parts.append(value)
    return parts[0], parts[1]


def _fits(game: PickLottery, era, whites, bonus) -> bool:
    try:
        game.check_balls(whites, bonus, era)
    except ValueError:
        return False
    return True


def check_record(game: PickLottery, issue: str, record: Any,
                 seen: dict[date, str]) -> tuple[str, str] | None:
    """Return (category, reason) of one record's first problem, or None; notes its date in `seen`."""
    try:
        whites, bonus = _balls(record)
    except (ValueError, TypeError) as exc:
        return "unreadable", f"record is unreadable: {exc}"
    try:
        day = _day(issue)
        era = game.era_for(day)
    except ValueError as exc:
        return "off_calendar", str(exc)
    if not game.schedule.is_draw_day(day):
        return "off_calendar", (f"{day.isoformat()} ({day:%A}) is not a {game.code} draw day "
                                f"({game.schedule.describe_days(day)})")
    if day in seen:
        return "duplicates", f"{day.isoformat()} is already recorded as {seen[day]!r}"
    seen[day] = issue
    stored_era = record.get("era") if isinstance(record, dict) else None
    if not _fits(game, era, whites, bonus):
        other = [e for e in game.eras if e is not era and _fits(game, e, whites, bonus)]
        if other:
            return "era_mismatch", (f"{sorted(whites)} + {sorted(bonus)} fit {other[-1].matrix} "
                                    f"(from {other[-1].start.isoformat()}), not {era.matrix} "
                                    f"in force on {day.isoformat()}")
        try:
            game.check_balls(whites, bonus, era)
        except ValueError as exc:
            return "out_of_range", str(exc)
    if stored_era is not None and stored_era != era.start.isoformat():
        return "era_mismatch", (f"stored with era {stored_era}, but {day.isoformat()} is in the "
                                f"era from {era.start.isoformat()} ({era.matrix})")
    return None


def maintenance_report(game: PickLottery, records: Iterable[tuple[str, Any]],
                       examples: int = EXAMPLES) -> dict:
    """Return counts and examples of every problem among (issue, record) pairs, in order."""
    seen: dict[date, str] = {}
    counts = {c: 0 for c in CATEGORIES}
    found: dict[str, list[dict]] = {c: [] for c in CATEGORIES}
    total = 0
    for issue, record in records:
        total += 1
        if isinstance(record, (str, bytes)):
            try:
                record = json.loads(record)
            except ValueError:
                record = None
        problem = check_record(game, issue, record, seen)
        if problem is None:
            continue
        category, reason = problem
        counts[category] += 1
        if len(found[category]) < examples:
            found[category].append({"issue": issue, "reason": reason})
    bad = sum(counts.values())
    return {"game": game.code, "checked": total, "problems": bad, "clean": total - bad,
            "counts": counts, "examples": found,
            "note": ("Eras are chosen by the draw date, never by the numbers: a record whose "
                     "numbers fit another era than its date's is an era mismatch.")}
