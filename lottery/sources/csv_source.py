"""The `csv` draw source and the `import-csv` command: load past draws from a file.

The file has a header row naming the columns `issue` and `number` and,
optionally, `drawn_at` (ISO 8601; a time without offset is taken as UTC), in
any order; other columns are ignored. Bad rows are reported with their line
number and skipped; good rows are kept. Storing is idempotent, so importing
the same file twice adds nothing the second time.
"""
from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterable

import redis

from lottery.config import DEFAULT_GAME, Settings, redact_url
from lottery.games import GAMES, WinGo, get_game
from lottery.sources.base import Draw, make_draw
from lottery.store import draws as draw_store
from lottery.store.connection import connect
from lottery.store.embedded import resolve_redis_url

REQUIRED = ("issue", "number")
OPTIONAL = ("drawn_at",)
STORE_CHUNK = 10_000  # draws per Redis pipeline, so a huge file never sits in one reply


def read_csv(path_or_file: str | Path | IO[str], game: WinGo,
             now: datetime | None = None) -> tuple[list[Draw], list[tuple[int, str]]]:
    """Return (good draws oldest first, [(line number, reason)] for bad rows).

    When `now` is given, issues not drawn yet at `now` are rejected: a future
    issue stored now would block the real draw of that issue later.
    """
    if isinstance(path_or_file, (str, Path)):
        # utf-8-sig: spreadsheets often start the file with a byte-order mark.
        with open(path_or_file, newline="", encoding="utf-8-sig") as fh:
            return _read(fh, game, now)
    return _read(path_or_file, game, now)


def _read(fh: Iterable[str], game: WinGo,
          now: datetime | None) -> tuple[list[Draw], list[tuple[int, str]]]:
    reader = csv.reader(fh)
    problems: list[tuple[int, str]] = []
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except (csv.Error, UnicodeDecodeError) as exc:
        return [], [(max(reader.line_num, 1), f"unreadable header: {exc}")]
    if header is None:
        return [], [(1, "empty file: expected a header row naming issue and number")]
    columns = _columns(header)
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
        missing = [name for name in REQUIRED if not values[name]]
        if missing:
            problems.append((line, f"missing {' and '.join(missing)}"))
            continue
        try:
            draw = make_draw(game, values["issue"], values["number"], values.get("drawn_at"),
                             source="csv")
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        if now is not None and game.draw_time(draw.issue) > now:
            problems.append((line, f"issue {draw.issue} is not drawn yet "
                                   f"(draws at {game.draw_time(draw.issue).isoformat()})"))
            continue
        first = draws.get(draw.issue)
        if first is not None:
            problems.append((line, f"duplicate issue {draw.issue} (first on line {first[0]})"))
            continue
        draws[draw.issue] = (line, draw)
    good = sorted((d for _, d in draws.values()), key=lambda d: game.issue_ordinal(d.issue))
    return good, problems


def _columns(header: list[str]) -> dict[str, int] | str:
    """Return {column name: index} for the known columns, or the reason the header is bad."""
    names = [cell.strip().lower() for cell in header]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in REQUIRED + OPTIONAL:
            if name in columns:
                return f"header names {name!r} twice"
            columns[name] = index
    absent = [name for name in REQUIRED if name not in columns]
    if absent:
        return (f"header must name the columns issue and number (optionally drawn_at); "
                f"missing {', '.join(absent)}")
    return columns


# -- the import-csv command ------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the import-csv arguments."""
    parser.add_argument("file", metavar="FILE",
                        help="CSV file: a header row, then issue,number[,drawn_at] rows")
    parser.add_argument("--game", default=DEFAULT_GAME, choices=sorted(GAMES),
                        help=f"game the draws belong to (default {DEFAULT_GAME})")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Store the file's good rows; return 0 if any row was good, 1 if none, 2 on errors."""
    path = Path(args.file)
    if not path.is_file():
        print(f"import-csv: no such file: {path}", file=sys.stderr)
        return 2
    game = get_game(args.game)
    try:
        draws, problems = read_csv(path, game, now=datetime.now(timezone.utc))
    except OSError as exc:
        print(f"import-csv: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for line, reason in problems:
        print(f"line {line}: {reason}", file=sys.stderr)
    rows = len(draws) + len(problems)
    print(f"{rows} rows read from {path}: {len(draws)} good, {len(problems)} bad")
    if not draws:
        print("import-csv: no good rows; nothing stored", file=sys.stderr)
        return 1
    url = resolve_redis_url(settings)
    if not url:
        print("import-csv: REDIS_URL is not set and no local server is running; set REDIS_URL "
              "or start `python -m lottery up` first", file=sys.stderr)
        return 2
    r = connect(url)
    conflicts: list = []
    try:
        before = draw_store.count(r, game.code)
        if before + len(draws) > settings.max_draws:
            # Said before anything is stored: the cap drops the oldest draws, imported or not.
            print(f"import-csv: warning: {before} stored + {len(draws)} read is over "
                  f"MAX_DRAWS={settings.max_draws}; the oldest draws beyond it will be dropped "
                  "(raise MAX_DRAWS to keep them)", file=sys.stderr)
        stored: list = []
        for start in range(0, len(draws), STORE_CHUNK):
            stored += draw_store.add_draws(r, game, draws[start:start + STORE_CHUNK],
                                           settings.max_draws, conflicts)
        after = draw_store.count(r, game.code)
        kept = draw_store.count_present(r, game.code, [d.issue for d in stored])
    except redis.RedisError as exc:
        print(f"import-csv: Redis at {redact_url(url)} failed: {type(exc).__name__}",
              file=sys.stderr)
        return 2
    finally:
        r.close()
    new = len(stored)
    dropped = before + new - after
    present = len(draws) - new - len(conflicts)
    print(f"{game.code}: {new} new draws stored, {kept} of them kept; {present} already present")
    if dropped:
        print(f"{game.code}: MAX_DRAWS={settings.max_draws} dropped the {dropped} oldest draws "
              f"({new - kept} of them from this file); {after} draws are stored")
    if conflicts:
        print(f"{game.code}: {len(conflicts)} rows refused: their period already has a result "
              f"under another issue number (first: {conflicts[0].issue})", file=sys.stderr)
    return 0
