"""`python -m lottery import-csv FILE --game G`: store past draws from a CSV file.

Bad rows are reported with their line number and skipped; storing is
idempotent, so importing the same file twice adds nothing the second time.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

import redis

from lottery.config import DEFAULT_GAME, Settings, redact_url
from lottery.games import GAMES, get_game
from lottery.sources.csv_source import read_csv
from lottery.store import draws as draw_store
from lottery.store import scores
from lottery.store.connection import connect
from lottery.store.embedded import resolve_redis_url

STORE_CHUNK = 10_000  # draws per Redis pipeline, so a huge file never sits in one reply


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the import-csv arguments."""
    parser.add_argument("file", metavar="FILE",
                        help="CSV file: a header row, then issue,outcome[,drawn_at] rows "
                             "(WinGo: issue,number)")
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
        if stored:
            scores.forget_replay(r, game.code)  # the worker replays the new history
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
