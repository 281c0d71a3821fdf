"""`python -m lottery import-csv FILE --game G`: store past draws from a CSV file.

Bad rows are reported with their line number and skipped; storing is
idempotent, so importing the same file twice adds nothing the second time.

Pick lotteries (Powerball, EuroMillions) import all rows or none, as a
versioned snapshot (lottery.store.pick_imports): `--versions` lists them,
`--rollback VERSION` removes exactly the draws one import added, `--report`
prints the data maintenance report of the stored draws.
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
    parser.add_argument("file", metavar="FILE", nargs="?",
                        help="CSV file: a header row, then issue,outcome[,drawn_at] rows "
                             "(WinGo: issue,number; pick lotteries: see the README)")
    parser.add_argument("--game", default=DEFAULT_GAME, choices=sorted(GAMES),
                        help=f"game the draws belong to (default {DEFAULT_GAME})")
    pick = parser.add_argument_group("pick lotteries (import snapshots)")
    pick.add_argument("--source", default=None,
                      help="name recorded with the snapshot (default: the file name)")
    pick.add_argument("--versions", action="store_true", help="list the import snapshots")
    pick.add_argument("--rollback", type=int, metavar="VERSION",
                      help="remove exactly the draws import VERSION added")
    pick.add_argument("--report", action="store_true",
                      help="print the data maintenance report of the stored draws (JSON)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Store the file's good rows; return 0 if any row was good, 1 if none, 2 on errors."""
    game = get_game(args.game)
    if getattr(game, "family", "") == "pick":
        return _run_pick(args, settings, game)
    if args.file is None or args.versions or args.rollback is not None or args.report:
        print("import-csv: give FILE; --versions, --rollback and --report are for pick "
              "lotteries", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"import-csv: no such file: {path}", file=sys.stderr)
        return 2
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
    url = _redis_url(settings)
    if not url:
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
        return _redis_failed(url, exc)
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


def _redis_url(settings: Settings) -> str | None:
    """Return the Redis URL to import into, or None after saying why there is none."""
    url = resolve_redis_url(settings)
    if not url:
        print("import-csv: REDIS_URL is not set and no local server is running; set REDIS_URL "
              "or start `python -m lottery up` first", file=sys.stderr)
    return url


def _redis_failed(url: str, exc: redis.RedisError) -> int:
    """Say that Redis failed (without the URL's credentials); return the exit status."""
    print(f"import-csv: Redis at {redact_url(url)} failed: {type(exc).__name__}", file=sys.stderr)
    return 2


def _run_pick(args: argparse.Namespace, settings: Settings, game) -> int:
    """Import a pick-lottery file as one snapshot, list snapshots, roll one back or report."""
    import json

    from lottery.games.pick_maintenance import maintenance_report
    from lottery.store import pick_imports

    actions = sum([args.file is not None, args.versions, args.rollback is not None, args.report])
    if actions != 1:
        print("import-csv: give exactly one of FILE, --versions, --rollback VERSION, --report",
              file=sys.stderr)
        return 2
    text = None
    if args.file is not None:
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"import-csv: cannot read {path}: {getattr(exc, 'strerror', None) or exc}",
                  file=sys.stderr)
            return 2
    url = _redis_url(settings)
    if not url:
        return 2
    r = connect(url)
    now = datetime.now(timezone.utc)
    try:
        if args.versions:
            for v in pick_imports.list_versions(r, game.code):
                print(f"v{v['version']} {v['status']:<11} {v['created_at']} rows={v['rows']} "
                      f"added={v['added']} duplicates={v['duplicates']} "
                      f"sha256={v['hash'][:16]} source={v['source']}"
                      + (f" rolled_back_at={v['rolled_back_at']} removed={v['removed']}"
                         if v["status"] == "rolled_back" else ""))
            return 0
        if args.report:
            print(json.dumps(maintenance_report(game, pick_imports.stored_records(r, game.code)),
                             indent=2))
            return 0
        if args.rollback is not None:
            try:
                out = pick_imports.rollback(r, game, args.rollback, now)
            except pick_imports.ImportRefused as exc:
                print(f"import-csv: {exc}; nothing changed", file=sys.stderr)
                return 2
            if out["removed"]:
                scores.forget_replay(r, game.code)
            print(f"{game.code}: version {args.rollback} rolled back: {out['removed']} draws "
                  f"removed ({out['not_present']} it added were no longer stored)")
            return 0
        plan = pick_imports.plan(r, game, text.splitlines(), now)
        for e in plan["errors"]:
            print(f"line {e['line']}: {e['message']}", file=sys.stderr)
        if not plan["ok"]:
            print(f"import-csv: {len(plan['errors'])} errors in {args.file}; nothing stored",
                  file=sys.stderr)
            return 2
        try:
            out = pick_imports.import_draws(r, game, plan["draws"],
                                            source=args.source or Path(args.file).name, now=now,
                                            max_draws=settings.max_draws)
        except pick_imports.ImportRefused as exc:
            print(f"{game.code}: {exc}")
            return 0 if exc.code == "duplicate_content" else 2
        if out["added"]:
            scores.forget_replay(r, game.code)
    except redis.RedisError as exc:
        return _redis_failed(url, exc)
    finally:
        r.close()
    print(f"{game.code}: version {out['version']} (sha256 {out['hash'][:16]}): {out['rows']} rows "
          f"in {plan['format']} format, {out['added']} new draws stored, {out['duplicates']} "
          f"already present")
    if out["trimmed"]:
        print(f"{game.code}: MAX_DRAWS={settings.max_draws} dropped the {out['trimmed']} oldest "
              "draws")
    print(f"Undo with: python -m lottery import-csv --rollback {out['version']} --game {game.code}")
    return 0
