"""Pick-lottery CSV files: detect the format from the header, parse rows, report errors by line.

Formats (the header decides; names compare case-, space- and underscore-blind):
- `columns`: `draw_date,n1..n5,powerball` (or the game's bonus column names);
- `winning_numbers`: `Draw Date,Winning Numbers,Multiplier`, the whites then the
  bonus balls space-separated in one field (the multiplier may be absent or empty);
- `balls`: `Date,Ball 1..Ball 5,Powerball,Power Play`.
Dates are ISO `YYYY-MM-DD` (a time part is ignored) or US `MM/DD/YYYY`.

A pure function over text lines: nothing is stored here, and a caller imports
only when `errors` is empty, so a file is never taken in part.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from lottery.games.base import Draw
from lottery.games.pick import Outcome, PickLottery

MAX_ERRORS = 100  # enough to fix a file; a wrong format would otherwise list every line


@dataclass(frozen=True)
class PickRow:
    """One parsed draw: its line in the file, draw date, balls and optional multiplier."""

    line: int
    issue: str
    outcome: Outcome
    multiplier: int | None = None


@dataclass
class PickCsv:
    """The result of parsing a file: its format, good rows and line-numbered errors."""

    format: str | None
    rows: list[PickRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.format is not None and not self.errors

    def preview(self, game: PickLottery, limit: int = 10) -> dict:
        """Return what an import would take: format, counts, first rows and errors."""
        return {"format": self.format, "rows": len(self.rows), "errors": [
            {"line": n, "message": m} for n, m in self.errors],
            "first": [{"line": r.line, "draw_date": r.issue, **game.encode_outcome(r.outcome),
                       "multiplier": r.multiplier} for r in self.rows[:limit]],
            "dates": [self.rows[0].issue, self.rows[-1].issue] if self.rows else None}


def _key(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cell.lower())


def parse_date(text: str) -> date:
    """Return the date of an ISO or US (MM/DD/YYYY) date string, or raise ValueError."""
    text = text.strip()
    if not text.isascii():
        raise ValueError(f"not a date: {text!r}")
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if m:
            return date(int(m[3]), int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?", text):
            return date.fromisoformat(text[:10])
    except ValueError:
        pass
    raise ValueError(f"not a date (YYYY-MM-DD or MM/DD/YYYY): {text!r}")


def _layout(header: list[str], game: PickLottery) -> tuple[str, dict[str, Any]] | None:
    """Return (format, column positions) of a header, or None when it is no known format."""
    keys = [_key(c) for c in header]
    pos = {k: i for i, k in enumerate(keys)}
    era = game.current_era
    date_col = next((pos[k] for k in ("drawdate", "date") if k in pos), None)
    if date_col is None:
        return None
    bonus_keys = [_key(f) for f in game.bonus_fields]
    mult = next((pos[k] for k in ("multiplier", "powerplay", "megaplier") if k in pos), None)
    if "winningnumbers" in pos:
        return "winning_numbers", {"date": date_col, "numbers": pos["winningnumbers"],
                                   "multiplier": mult}
    for fmt, prefix in (("columns", "n"), ("balls", "ball")):
        whites = [f"{prefix}{i}" for i in range(1, era.whites + 1)]
        if all(w in pos for w in whites) and all(b in pos for b in bonus_keys):
            return fmt, {"date": date_col, "whites": [pos[w] for w in whites],
                         "bonus": [pos[b] for b in bonus_keys], "multiplier": mult}
    return None


def parse_pick_csv(lines: Iterable[str], game: PickLottery) -> PickCsv:
    """Return the format, rows and line-numbered errors of a pick-lottery CSV text."""
    rows_iter = csv.reader(line.lstrip("\ufeff") if i == 0 else line
                           for i, line in enumerate(lines))
    result = PickCsv(format=None)
    layout = None
    seen: dict[str, int] = {}
    try:
        for cells in rows_iter:
            line = rows_iter.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if layout is None:
                layout = _layout(cells, game)
                if layout is None:
                    result.errors.append((line, "unrecognised header: expected one of "
                                          "'draw_date,n1..n5,<bonus>', 'Draw Date,Winning "
                                          "Numbers,Multiplier', 'Date,Ball 1..Ball 5,<bonus>'"))
                    return result
                result.format = layout[0]
                continue
            try:
                row = _row(cells, line, layout, game)
            except ValueError as exc:
                result.errors.append((line, str(exc)))
            else:
                if row.issue in seen:
                    result.errors.append((line, f"duplicate draw date {row.issue} "
                                         f"(first on line {seen[row.issue]})"))
                else:
                    seen[row.issue] = line
                    result.rows.append(row)
            if len(result.errors) >= MAX_ERRORS:
                result.errors.append((line, f"stopped after {MAX_ERRORS} errors"))
                return result
    except csv.Error as exc:
        result.errors.append((rows_iter.line_num, f"malformed CSV: {exc}"))
        return result
    if layout is None:
        result.errors.append((0, "empty file: no header"))
    return result


def _cell(cells: list[str], i: int) -> str:
    if i >= len(cells):
        raise ValueError(f"expected at least {i + 1} fields, got {len(cells)}")
    return cells[i].strip()


def _row(cells: list[str], line: int, layout: tuple[str, dict], game: PickLottery) -> PickRow:
    fmt, cols = layout
    day = parse_date(_cell(cells, cols["date"]))
    issue = game.canonical_issue(day)  # refuses a date off the draw calendar
    era = game.era_for(day)
    if fmt == "winning_numbers":
        numbers = _cell(cells, cols["numbers"]).split()
        raw = {"whites": numbers[:era.whites], "bonus": numbers[era.whites:]}
        if len(numbers) != era.whites + era.bonus:
            raise ValueError(f"expected {era.whites + era.bonus} numbers ({era.matrix}), "
                             f"got {len(numbers)}")
    else:
        raw = {"whites": [_cell(cells, i) for i in cols["whites"]],
               "bonus": [_cell(cells, i) for i in cols["bonus"]]}
    outcome = game.parse_outcome(raw, issue)
    multiplier = None
    if cols["multiplier"] is not None and cols["multiplier"] < len(cells):
        text = cells[cols["multiplier"]].strip()
        if text:
            m = re.fullmatch(r"([0-9]+)[xX]?", text)  # "2" or "2X"
            if not m or int(m[1]) < 1:
                raise ValueError(f"multiplier must be a whole number >= 1, got {text!r}")
            multiplier = int(m[1])
    return PickRow(line, issue, outcome, multiplier)


def format_row(fmt: str, game: PickLottery, issue: str, outcome: Outcome,
               multiplier: int | None = None) -> list[str]:
    """Return the CSV cells of one draw in a format (header from `header_of`)."""
    whites = [str(w) for w in outcome[0]]
    bonus = [str(b) for b in outcome[1]]
    mult = "" if multiplier is None else str(multiplier)
    if fmt == "winning_numbers":
        day = datetime.strptime(issue, "%Y-%m-%d")
        return [f"{day:%m/%d/%Y}", " ".join(f"{int(n):02d}" for n in whites + bonus), mult]
    if fmt == "columns":
        return [issue, *whites, *bonus]
    if fmt == "balls":
        return [issue, *whites, *bonus, mult]
    raise ValueError(f"unknown format {fmt!r}")


def header_of(fmt: str, game: PickLottery) -> list[str]:
    """Return the header row of a format for a game."""
    k = game.current_era.whites
    if fmt == "winning_numbers":
        return ["Draw Date", "Winning Numbers", "Multiplier"]
    if fmt == "columns":
        return ["draw_date", *[f"n{i}" for i in range(1, k + 1)], *game.bonus_fields]
    if fmt == "balls":
        bonus = [f.replace("_", " ").title() for f in game.bonus_fields]
        return ["Date", *[f"Ball {i}" for i in range(1, k + 1)], *bonus, "Power Play"]
    raise ValueError(f"unknown format {fmt!r}")


def read_draws(lines: Iterable[str], game: PickLottery,
               now: datetime | None = None) -> tuple[list[Draw], list[tuple[int, str]]]:
    """Return (draws oldest first, line-numbered errors); any error means no draws (no part import).

    The family's CSV hook (`Game.csv_path`): the generic CSV source and the
    import and backtest commands call it for a pick lottery. With `now`, a date
    not drawn yet is an error.
    """
    parsed, errors = check_pick_csv(lines, game, now)
    if errors:
        return [], sorted(errors)
    return [row_draw(game, r) for r in sorted(parsed.rows, key=lambda r: r.issue)], []


def check_pick_csv(lines: Iterable[str], game: PickLottery, now: datetime | None = None):
    """Parse a pick CSV; return (the parse, its errors, undrawn dates if `now`, empty file)."""
    parsed = parse_pick_csv(lines, game)
    errors = list(parsed.errors)
    if now is not None:
        for row in parsed.rows:
            due = game.draw_time(row.issue)
            if due > now:
                errors.append((row.line, f"draw date {row.issue} is not drawn yet "
                                         f"(draws at {due.isoformat()})"))
    if parsed.format is not None and not parsed.rows and not errors:
        errors.append((0, "no draws in the file"))
    return parsed, errors


def row_draw(game: PickLottery, row) -> Draw:
    """Return the Draw of one parsed row (drawn at its date's draw time)."""
    return Draw(game=game.code, issue=row.issue, outcome=row.outcome, source="csv",
                drawn_at=game.draw_time(row.issue).isoformat())
