"""`python -m lottery backtest`: replay history walk-forward and print the scoreboard."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import redis

from lottery.config import DEFAULT_GAME, Settings, redact_url
from lottery.evaluation import scoreboard
from lottery.evaluation.backtest import DEFAULT_JOBS, backtest
from lottery.games import GAMES, get_game

PROGRESS_MIN = 10_000  # runs at least this long show a progress bar (stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the backtest arguments."""
    parser.add_argument("--game", default=DEFAULT_GAME, choices=sorted(GAMES),
                        help=f"game to replay (default {DEFAULT_GAME})")
    parser.add_argument("--predictor", action="append", metavar="NAME",
                        help="only this predictor (repeatable; default: all of the game's)")
    parser.add_argument("--csv", metavar="FILE", help="replay a CSV file (the import format: "
                                                      "issue,outcome[,drawn_at]) instead of the "
                                                      "stored draws")
    parser.add_argument("--limit", type=_positive, metavar="N",
                        help="replay only the newest N draws")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random control (default 0)")
    parser.add_argument("--jobs", type=_positive, default=DEFAULT_JOBS,
                        help="processes to split the predictors over (default: "
                             f"{DEFAULT_JOBS}; the totals do not depend on it)")
    parser.add_argument("--json", action="store_true", help="print the scoreboard as JSON")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Replay the draws and print the scoreboard; 0 on success, 1 with no draws, 2 on errors."""
    game = get_game(args.game)
    known = game.predictors().names
    unknown = [n for n in args.predictor or () if n not in known]
    if unknown:
        print(f"backtest: unknown predictor(s) {', '.join(unknown)} for {game.code}; "
              f"known: {', '.join(known)}", file=sys.stderr)
        return 2
    digits = _load_outcomes(args, settings, game)
    if digits is None:
        return 2
    if args.limit:
        digits = digits[-args.limit:]
    if not digits:
        print(f"backtest: no draws to replay for {game.code}", file=sys.stderr)
        return 1
    progress = _progress_bar(game.code) if len(digits) >= PROGRESS_MIN else None
    totals = backtest(game, digits, args.predictor, args.seed, args.jobs, progress)
    board = scoreboard.build(game, totals)
    board["source"] = args.csv or "redis"
    # A family may add its own checks of probability forecasts (crash: calibration, streaks).
    extra = getattr(game.report_builder(), "backtest_evaluation", None)
    if args.json and extra is not None:
        board["evaluation"] = extra(game, digits, args.predictor, args.seed)
    if args.json:
        print(json.dumps(board, indent=2))
    else:
        print(format_table(board))
    return 0


def _progress_bar(game_code: str) -> Callable:
    from tqdm import tqdm

    def progress(seq):
        return tqdm(seq, total=len(seq), desc=f"backtest {game_code}", unit="draw",
                    file=sys.stderr, mininterval=0.5)

    return progress


def _load_outcomes(args, settings: Settings, game) -> list | None:
    if args.csv:
        from lottery.sources.csv_source import read_csv

        path = Path(args.csv)
        if not path.is_file():
            print(f"backtest: no such file: {path}", file=sys.stderr)
            return None
        try:
            draws, problems = read_csv(path, game)
        except OSError as exc:
            print(f"backtest: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return None
        for line, reason in problems[:20]:
            print(f"line {line}: {reason}", file=sys.stderr)
        if len(problems) > 20:
            print(f"... and {len(problems) - 20} more bad rows", file=sys.stderr)
        return [d.outcome for d in draws]
    from lottery.store import draws as draw_store
    from lottery.store.connection import connect
    from lottery.store.embedded import resolve_redis_url

    url = resolve_redis_url(settings)
    if not url:
        print("backtest: REDIS_URL is not set and no local server is running; set REDIS_URL, "
              "start `python -m lottery up`, or pass --csv FILE", file=sys.stderr)
        return None
    r = connect(url)
    try:
        return draw_store.recent_outcomes(r, game, settings.max_draws)
    except redis.RedisError as exc:
        print(f"backtest: Redis at {redact_url(url)} failed: {type(exc).__name__}", file=sys.stderr)
        return None
    finally:
        r.close()


def format_table(board: dict) -> str:
    """Return the scoreboard as a plain-text table."""
    head = (f"{'predictor':<12} {'market':<9} {'n':>7} {'hits':>7} {'rate':>6} {'chance':>6} "
            f"{'95% CI':>13} {'p':>8} {'p_holm':>8} {'b/even':>6} {'logloss':>13}  verdict")
    lines = [f"{board['game']}: {board['n_draws']} draws replayed walk-forward", head,
             "-" * len(head)]
    for row in board["rows"]:
        lo, hi = row["ci95"]
        ll = (f"{row['log_loss']:.3f}/{row['baseline_log_loss']:.3f}"
              if "log_loss" in row else "")
        lines.append(
            f"{row['predictor']:<12} {row['market']:<9} {row['n']:>7} {row['hits']:>7} "
            f"{100 * row['hit_rate']:>5.1f}% {100 * row['chance']:>5.1f}% "
            f"{100 * lo:>5.1f}-{100 * hi:>5.1f}% {_p(row['p_value']):>8} {_p(row['p_holm']):>8} "
            f"{100 * row['break_even']:>5.1f}% {ll:>13}  {row['verdict']}")
    lines.append("")
    lines.append(board["note"])
    return "\n".join(lines)


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 or value == 0 else f"{value:.0e}"

