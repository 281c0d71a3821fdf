"""The `csv` draw source: load past draws from a file.

The file has a header row naming the issue column (`issue`, or the game's own
name for it such as `round_id`), the game's outcome columns (`number` for
WinGo) and, optionally, the draw time (`drawn_at`; ISO 8601, a time without
offset is taken as UTC), in any order; other columns are ignored. Bad rows are reported with their line
number and skipped; good rows are kept. Storing is idempotent, so importing
the same file twice adds nothing the second time.
"""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import IO, Iterable

from lottery.games import Draw, Game
from lottery.sources.base import make_draw


def read_csv(path_or_file: str | Path | IO[str], game: Game,
             now: datetime | None = None) -> tuple[list[Draw], list[tuple[int, str]]]:
    """Return (good draws oldest first, [(line number, reason)] for bad rows).

    When `now` is given, issues not drawn yet at `now` are rejected: a future
    issue stored now would block the real draw of that issue later.
    """
    read = game.csv_reader() or _read  # a family with its own formats reads them itself
    if isinstance(path_or_file, (str, Path)):
        # utf-8-sig: spreadsheets often start the file with a byte-order mark.
        with open(path_or_file, newline="", encoding="utf-8-sig") as fh:
            return read(fh, game, now)
    return read(path_or_file, game, now)


def _read(fh: Iterable[str], game: Game,
          now: datetime | None) -> tuple[list[Draw], list[tuple[int, str]]]:
    reader = csv.reader(fh)
    problems: list[tuple[int, str]] = []
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except (csv.Error, UnicodeDecodeError) as exc:
        return [], [(max(reader.line_num, 1), f"unreadable header: {exc}")]
    if header is None:
        return [], [(1, f"empty file: expected a header row naming {_wanted(game)}")]
    columns = _columns(header, game)
    if isinstance(columns, str):
        return [], [(reader.line_num, columns)]
    draws: dict[str, tuple[int, Draw]] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append((reader.line_num, f"unreadable row: {exc}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not rows
        values = {name: (row[i].strip() if i < len(row) else None) for name, i in columns.items()}
        missing = [name for name in ("issue",) + game.outcome_fields if not values[name]]
        if missing:
            problems.append((line, f"missing {' and '.join(missing)}"))
            continue
        try:
            draw = make_draw(game, values["issue"], game.raw_outcome(values),
                             values.get("drawn_at"), source="csv")
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        due = game.draw_time(draw.issue)
        if now is not None and due is not None and due > now:
            problems.append((line, f"issue {draw.issue} is not drawn yet "
                                   f"(draws at {due.isoformat()})"))
            continue
        first = draws.get(draw.issue)
        if first is not None:
            problems.append((line, f"duplicate issue {draw.issue} (first on line {first[0]})"))
            continue
        draws[draw.issue] = (line, draw)
    good = sorted((d for _, d in draws.values()), key=lambda d: game.issue_ordinal(d.issue))
    return good, problems


def _wanted(game: Game) -> str:
    return " and ".join((game.issue_columns[0],) + game.outcome_fields)


def _columns(header: list[str], game: Game) -> dict[str, int] | str:
    """Return {column: index} for the known columns, or the reason the header is bad.

    The issue and time columns are found by any of the game's names for them
    and keyed `issue` and `drawn_at`; outcome columns by their own names.
    """
    aliases = {**{n: "issue" for n in game.issue_columns},
               **{n: "drawn_at" for n in game.time_columns},
               **{n: n for n in game.outcome_fields}}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = aliases.get(cell.strip().lower())
        if name is None:
            continue
        if name in columns:
            return f"header names {name!r} twice"
        columns[name] = index
    absent = [name for name in ("issue",) + game.outcome_fields if name not in columns]
    if absent:
        return (f"header must name the columns {_wanted(game)} (optionally "
                f"{game.time_columns[0]}); missing {', '.join(absent)}")
    return columns
