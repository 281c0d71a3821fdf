"""`python -m lottery backtest`: replay history walk-forward and print the scoreboard.

Each prediction is made from earlier draws only (predict, then feed the digit),
by the same predictor classes the worker runs, and scored by the same rules
as the live recorder (lottery.evaluation.scoring). Predictors are independent,
so with --jobs 2 they are split over two processes.
"""
from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import redis

from lottery.config import DEFAULT_GAME, Settings, redact_url
from lottery.evaluation import scoreboard
from lottery.evaluation.scoring import MICRO, P_FLOOR, MarketTotals, streaks_of
from lottery.games import GAMES, get_game
from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL, primary_color, size
from lottery.predictors.base import MARKETS
from lottery.predictors.registry import PREDICTOR_NAMES, build_predictors

PROGRESS_MIN = 10_000  # runs at least this long show a progress bar (stderr)
DEFAULT_JOBS = min(2, os.cpu_count() or 1)
# Microseconds per draw, measured (bench/backtest.py), to balance the process split.
# The ensemble's cost is with private members (it shares them only when its
# members run in the same process).
COST = {"ensemble": 35, "overdue": 15, "sequence": 10, "color_rules": 8, "size_rules": 8,
        "markov": 7, "random": 5}
CHUNK = 4096  # predictions kept per predictor before they are scored (bounded memory)
_IS_BIG = np.array([size(d) == BIG for d in DIGITS])
_IS_GREEN = np.array([primary_color(d) == GREEN for d in DIGITS])
_SIDE_CODE = {BIG: 1, SMALL: 0, GREEN: 1, RED: 0, None: -1}


class _Collector:
    """One predictor's predictions, scored in vectorised chunks (the rules of scoring.score)."""

    def __init__(self):
        self.pending: list = []
        self.hits: dict[str, list[np.ndarray]] = {m: [] for m in MARKETS}
        self.p_digit: list[np.ndarray] = []  # P(drawn digit), number market
        self.sum_sq: list[np.ndarray] = []  # sum of squared probabilities (Brier)
        self.p_side: dict[str, list[np.ndarray]] = {"big_small": [], "color": []}

    def score_pending(self, digits: np.ndarray) -> None:
        """Score the pending predictions against their drawn digits."""
        preds, self.pending = self.pending, []
        if not preds:
            return
        d = digits
        nums = [p.numbers for p in preds]
        has_one = np.array([len(n) >= 1 for n in nums])
        if has_one.any():
            top = np.array([(tuple(n) + (-1, -1, -1))[:3] for n in nums])
            self.hits["number"].append((top[:, 0] == d)[has_one])
            has_three = np.array([len(n) >= 3 for n in nums])
            self.hits["top3"].append((top == d[:, None]).any(axis=1)[has_three])
            with_probs = has_one & np.array([p.probs is not None for p in preds])
            if with_probs.any():
                probs = np.array([p.probs for p, ok in zip(preds, with_probs) if ok])
                p_d = probs[np.arange(len(probs)), d[with_probs]]
                self.p_digit.append(p_d)
                self.sum_sq.append((probs * probs).sum(axis=1))
        for market, pick, prob, is_one in (("big_small", "big_small", "big_small_p", _IS_BIG),
                                           ("color", "color", "color_p", _IS_GREEN)):
            code = np.array([_SIDE_CODE[getattr(p, pick)] for p in preds])
            taking = code >= 0
            if not taking.any():
                continue
            hit = code == is_one[d]
            self.hits[market].append(hit[taking])
            q = [getattr(p, prob) for p in preds]
            with_q = taking & np.array([x is not None for x in q])
            if with_q.any():
                qa = np.array([x for x, ok in zip(q, with_q) if ok], dtype=float)
                self.p_side[market].append(np.where(hit[with_q], qa, 1 - qa))

    def totals(self) -> dict[str, MarketTotals]:
        """Return the market totals of everything scored."""
        out = {}
        for market, parts in self.hits.items():
            x = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            if not x.size:
                continue
            t = MarketTotals(int(x.size), int(x.sum()), streaks=streaks_of(x))
            if market == "number" and self.p_digit:
                p = np.concatenate(self.p_digit)
                t.prob_n = int(p.size)
                t.ll = _micro(-np.log(np.maximum(p, P_FLOOR)))
                t.brier = _micro(np.concatenate(self.sum_sq) - 2 * p + 1)
            elif self.p_side.get(market):
                q = np.concatenate(self.p_side[market])
                t.prob_n = int(q.size)
                t.ll = _micro(-np.log(np.maximum(q, P_FLOOR)))
                t.brier = _micro((1 - q) ** 2)
            out[market] = t
        return out


def _micro(values: np.ndarray) -> int:
    return int(np.round(values * MICRO).sum())


def replay(digits: Sequence[int], names: Sequence[str] | None = None, seed: int = 0,
           progress: Callable | None = None) -> dict[str, dict[str, MarketTotals]]:
    """Walk forward over `digits` (oldest first); return totals per predictor and market."""
    # Every predictor predicts before any is fed the digit: no look-ahead, and
    # the ensemble can share its members' work (same results as private copies).
    predictors = build_predictors(seed=seed, names=names, share_members=True)
    collectors = [_Collector() for _ in predictors]
    pairs = list(zip(predictors, collectors))
    digits = list(digits)
    start = 0
    # The loop allocates millions of short-lived objects and creates no cycles:
    # the cyclic GC would only rescan the pending predictions (~20% of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i, d in enumerate(progress(digits) if progress else digits):
            for p, c in pairs:
                c.pending.append(p.predict())
            for p in predictors:
                p.update(d)
            if i + 1 - start == CHUNK or i + 1 == len(digits):
                chunk = np.asarray(digits[start:i + 1])
                for c in collectors:
                    c.score_pending(chunk)
                start = i + 1
    finally:
        if gc_was_enabled:
            gc.enable()
    return {p.name: c.totals() for p, c in pairs}


def split(names: Sequence[str], jobs: int) -> list[list[str]]:
    """Split predictor names into `jobs` groups of similar cost (greedy, costliest first)."""
    groups: list[list[str]] = [[] for _ in range(max(1, jobs))]
    loads = [0] * len(groups)
    for name in sorted(names, key=lambda n: -COST.get(n, 10)):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += COST.get(name, 10)
    return [g for g in groups if g]


def _replay_group(args) -> dict:
    digits, names, seed = args
    return replay(digits, names, seed)


def backtest(digits: Sequence[int], names: Sequence[str] | None = None, seed: int = 0,
             jobs: int = 1, progress: Callable | None = None) -> dict[str, dict[str, MarketTotals]]:
    """Replay every (or the named) predictor over `digits`, split over `jobs` processes."""
    names = list(names or PREDICTOR_NAMES)
    groups = split(names, jobs)
    if len(groups) == 1:
        return replay(digits, groups[0], seed, progress)
    digits = list(digits)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ctx.Pool(len(groups) - 1) as pool:
        # The other groups run in child processes while this one shows the progress.
        pending = pool.map_async(_replay_group, [(digits, g, seed) for g in groups[1:]])
        out = replay(digits, groups[0], seed, progress)
        for part in pending.get():
            out.update(part)
    return {n: out[n] for n in names}


# -- the command ---------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the backtest arguments."""
    parser.add_argument("--game", default=DEFAULT_GAME, choices=sorted(GAMES),
                        help=f"game to replay (default {DEFAULT_GAME})")
    parser.add_argument("--predictor", action="append", choices=PREDICTOR_NAMES, metavar="NAME",
                        help="only this predictor (repeatable; default: all of "
                             f"{', '.join(PREDICTOR_NAMES)})")
    parser.add_argument("--csv", metavar="FILE", help="replay a CSV file (issue,number[,drawn_at]) "
                                                      "instead of the stored draws")
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
    digits = _load_digits(args, settings, game)
    if digits is None:
        return 2
    if args.limit:
        digits = digits[-args.limit:]
    if not digits:
        print(f"backtest: no draws to replay for {game.code}", file=sys.stderr)
        return 1
    progress = _progress_bar(game.code) if len(digits) >= PROGRESS_MIN else None
    totals = backtest(digits, args.predictor, args.seed, args.jobs, progress)
    board = scoreboard.build(game.code, totals)
    board["source"] = args.csv or "redis"
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


def _load_digits(args, settings: Settings, game) -> list[int] | None:
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
        return [d.number for d in draws]
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
        return draw_store.recent_numbers(r, game.code, settings.max_draws)
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

