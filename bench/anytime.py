"""Fair hit sequences read after every trial: today's fixed-n rule against the anytime-valid one.

    python bench/anytime.py [--sequences 1000] [--trials 20000] [--seed 1]

For each market's chance rate it simulates fair Bernoulli hit paths (what any
predictor scores on fair draws) and reads the verdict after every trial, as the
live scoreboard is read. It prints the share of paths EVER labelled "edge",
"better than chance" or "worse than chance":

- fixed-n (today, lottery/evaluation/scoreboard.py, restated here): edge when the exact
  binomial p-value (Holm across the board) is under 0.01 and the Wilson 95%
  lower bound is above break-even; better when the p-value alone is; worse when
  the Wilson upper bound is under chance (no correction);
- anytime (lottery/evaluation/sequential.py): the beta-binomial mixture
  confidence sequence, Bonferroni across the board.

Then the same for boards of 40 rows (the share of boards with any false label;
for fixed-n, rows with p < 0.01/40, a subset of Holm's rejections, so its figure
is a lower bound), the first trial at which a real edge (28% where chance is 10%)
is labelled, the detectable edge at 80% power under each rule, and the time of
the worker's first-start replay (lottery.worker.REPLAY_MAX) next to one prediction.
"""
from __future__ import annotations

import argparse
import math
import time

import _common  # noqa: F401  (puts the repository on sys.path)

import numpy as np
from scipy import special, stats

from lottery.evaluation import sequential as seq
from lottery.evaluation.stats import binomial_p_value, wilson_interval
from lottery.games import wingo

ALPHA = 0.01  # scoreboard.ALPHA of today's rule
Z = 1.959963984540054  # the 95% z of stats.wilson_interval
NUMBER_BE = wingo.break_even_rate("0")
MARKETS = {  # name: (chance, break-even or None when the market cannot pay)
    "WinGo number": (0.1, NUMBER_BE),
    "WinGo top3": (0.3, 3 * NUMBER_BE),
    "WinGo big/small": (0.5, wingo.break_even_rate(wingo.BIG)),
    "crash 2x": (0.99 / 2, 1 / 2),
    "crash 10x": (0.99 / 10, 1 / 10),
    "crash 100x": (0.99 / 100, 1 / 100),
    "Powerball 1/26": (1 / 26, None),
    "Powerball 1/24.87": (1 / 24.87, None),
}
BOARD = 40  # rows shown together on a busy scoreboard
CHUNK = 250


def wilson(k, n):
    """Return the Wilson 95% bounds of arrays (the formula of stats.wilson_interval)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + Z * Z / n
        centre = (p + Z * Z / (2 * n)) / denom
        half = Z * np.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    lo = np.where(k <= 0, 0.0, np.maximum(0.0, centre - half))
    hi = np.where(k >= n, 1.0, np.minimum(1.0, centre + half))
    return lo, hi


def fixed_critical_counts(n_max, chance, be, alpha, min_n=seq.MIN_N):
    """Return today's rule as per-n hit counts, like sequential.critical_counts."""
    ns = np.arange(n_max + 1)

    def smallest(ok):
        # ok(k, n) is monotone in k; binary search over k for every n at once.
        lo, hi = np.full(ns.shape, -1), ns + 1  # lo: not labelled, hi: labelled or never
        while True:
            gap = (hi - lo) > 1
            if not gap.any():
                return hi
            mid = (lo + hi) // 2
            good = ok(mid, ns) & (mid <= ns)
            lo = np.where(gap & ~good, mid, lo)
            hi = np.where(gap & good, mid, hi)

    def p_small(kk, nn):
        return stats.binom.sf(kk - 1, nn, chance) < alpha

    better = smallest(p_small)
    if be is None:
        edge = ns + 1
    else:
        edge = smallest(lambda kk, nn: p_small(kk, nn) & (wilson(kk, nn)[0] > be))
    not_worse = smallest(lambda kk, nn: ~(wilson(kk, nn)[1] < chance))
    young = ns < min_n
    return {"edge": np.where(young, ns + 1, edge), "better": np.where(young, ns + 1, better),
            "worse": np.where(young, -1, not_worse - 1)}


def fixed_verdict(k: int, n: int, chance: float, be: float | None, p_holm: float) -> str:
    """Return today's label of one row: the rule of scoreboard.verdict, restated."""
    lo, hi = wilson_interval(k, n)
    if n < seq.MIN_N:
        return seq.TOO_FEW
    if p_holm < ALPHA and be is not None and lo > be:
        return seq.EDGE
    if hi < chance:
        return seq.WORSE
    return seq.BETTER if p_holm < ALPHA else seq.NO_EDGE


def check_fixed_rule(crit, chance, be, n_max):
    """Check the vectorised rule against the scalar one on a sample of counts."""
    rng = np.random.default_rng(0)
    for n in rng.integers(seq.MIN_N, n_max + 1, 20):
        for k in rng.integers(0, n + 1, 20):
            label = fixed_verdict(int(k), int(n), chance, be, binomial_p_value(int(k), int(n), chance))
            assert (label == seq.EDGE) == (k >= crit["edge"][n]), (k, n)
            assert (label == seq.WORSE) == (k <= crit["worse"][n]), (k, n)
            assert (label in (seq.EDGE, seq.BETTER)) == (k >= crit["better"][n]), (k, n)


def ever(rng, rate, crits, sequences, trials):
    """Return {rule: {label: bool per path}} of Bernoulli(rate) paths read after every trial."""
    out = {rule: {"edge": [], "better": [], "worse": [], "first_edge": []} for rule in crits}
    for start in range(0, sequences, CHUNK):
        size = min(CHUNK, sequences - start)
        hits = np.cumsum(rng.random((size, trials)) < rate, axis=1, dtype=np.int32)
        for rule, crit in crits.items():
            crossed = hits >= crit["edge"][1:trials + 1]
            any_edge = crossed.any(axis=1)
            out[rule]["edge"].append(any_edge)
            out[rule]["first_edge"].append(np.where(any_edge, crossed.argmax(axis=1) + 1, 0))
            out[rule]["better"].append((hits >= crit["better"][1:trials + 1]).any(axis=1))
            out[rule]["worse"].append((hits <= crit["worse"][1:trials + 1]).any(axis=1))
    return {rule: {k: np.concatenate(v) for k, v in d.items()} for rule, d in out.items()}


def pct(x) -> str:
    return f"{100 * np.mean(x):6.2f}%"


def detectable(crit_better, n, p0):
    k = int(crit_better[n])
    if k > n:
        return float("nan")
    return 100 * (float(special.betaincinv(k, n - k + 1, seq.POWER)) - p0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=1_000)
    ap.add_argument("--trials", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    S, T = args.sequences, args.trials
    started = time.perf_counter()

    print(f"Fair paths: {S} sequences x {T} trials per market, verdict read after every trial.")
    print(f"One row alone (level {ALPHA}): share of paths EVER labelled")
    print(f"{'market':20s} {'chance':>7s} | {'fixed-n: edge':>13s} {'better':>7s} {'worse':>7s}"
          f" | {'anytime: edge':>13s} {'better':>7s} {'worse':>7s}")
    crits_by_market = {}
    for name, (chance, be) in MARKETS.items():
        crits = {"fixed": fixed_critical_counts(T, chance, be, ALPHA),
                 "anytime": seq.critical_counts(T, chance, be, ALPHA)}
        check_fixed_rule(crits["fixed"], chance, be, T)
        crits_by_market[name] = crits
        e = ever(rng, chance, crits, S, T)
        f, a = e["fixed"], e["anytime"]
        print(f"{name:20s} {chance:7.4f} | {pct(f['edge']):>13s} {pct(f['better']):>7s} "
              f"{pct(f['worse']):>7s} | {pct(a['edge']):>13s} {pct(a['better']):>7s} "
              f"{pct(a['worse']):>7s}")

    boards, board_trials = max(1, S // 10), min(T, 5_000)
    print(f"\nBoards of {BOARD} fair WinGo-number rows ({boards} boards x {board_trials} trials): "
          "share of boards with ANY false label at any moment")
    chance, be = MARKETS["WinGo number"]
    crits = {"fixed": fixed_critical_counts(board_trials, chance, be, ALPHA / BOARD),
             "anytime": seq.critical_counts(board_trials, chance, be, seq.row_alpha(BOARD))}
    crits["fixed"]["worse"] = fixed_critical_counts(board_trials, chance, be, ALPHA)["worse"]
    e = ever(rng, chance, crits, boards * BOARD, board_trials)
    for rule, d in e.items():
        edge = d["edge"].reshape(boards, BOARD).any(axis=1)
        up = d["better"].reshape(boards, BOARD).any(axis=1)
        down = d["worse"].reshape(boards, BOARD).any(axis=1)
        bound = ">=" if rule == "fixed" else "  "
        print(f"  {rule:8s} edge {bound}{pct(edge)}  better {bound}{pct(up)}  worse {pct(down)}")

    print("\nA real edge: digit hits at 28% where chance is 10% (board of 40), "
          "first trial labelled edge")
    crits = {"fixed": fixed_critical_counts(2_000, chance, be, ALPHA / BOARD),
             "anytime": seq.critical_counts(2_000, chance, be, seq.row_alpha(BOARD))}
    e = ever(rng, 0.28, crits, min(S, 500), 2_000)
    for rule, d in e.items():
        first = d["first_edge"][d["edge"]]
        print(f"  {rule:8s} found in {pct(d['edge'])} of paths; first labelled at n = "
              f"median {int(np.median(first))}, 95th percentile {int(np.percentile(first, 95))}")

    print(f"\nDetectable edge over chance (points, {round(100 * seq.POWER)}% power at that n, "
          f"board of {BOARD}): fixed-n / anytime")
    ns = (100, 412, 1_000, 5_000, 20_000)
    print(f"{'market':20s} " + " ".join(f"{'n=' + str(n):>14s}" for n in ns))
    for name in ("WinGo number", "WinGo top3", "WinGo big/small", "crash 100x", "Powerball 1/26"):
        chance, be = MARKETS[name]
        fixed = fixed_critical_counts(max(ns), chance, None, ALPHA / BOARD)["better"]
        cells = []
        for n in ns:
            any_ = seq.detectable_edge(n, chance, seq.row_alpha(BOARD))
            cells.append(f"{detectable(fixed, n, chance):6.2f}/{100 * any_ if any_ else math.nan:6.2f}")
        print(f"{name:20s} " + " ".join(f"{c:>14s}" for c in cells))

    print(f"\nPrior weight RHO (now {seq.RHO:g}): WinGo number detectable edge (points) by n")
    print(f"{'rho':>6s} " + " ".join(f"{'n=' + str(n):>8s}" for n in ns))
    for rho in (10, 30, 100, 300, 1_000):
        cells = [seq.detectable_edge(n, 0.1, seq.row_alpha(BOARD), rho=rho) for n in ns]
        print(f"{rho:6g} " + " ".join(f"{100 * c if c else math.nan:8.2f}" for c in cells))
    print("\nFirst-start replay (WinGo predictors walk forward over back-filled draws), "
          "next to one period's prediction")
    from lottery.evaluation.backtest import replay
    from lottery.games import get_game
    from lottery.worker import REPLAY_MAX
    game = get_game("WinGo_1M")
    preds = game.predictors().build(seed=1)
    t0 = time.perf_counter()
    for p in preds:
        p.predict()
    one = time.perf_counter() - t0
    for n in (500, REPLAY_MAX):
        digits = rng.integers(0, 10, n).tolist()
        t0 = time.perf_counter()
        replay(game, digits, seed=1)
        took = time.perf_counter() - t0
        print(f"  {n:6d} draws: {took:6.3f} s  ({took / one:,.0f}x one prediction of "
              f"{1000 * one:.2f} ms; the period is {game.period_seconds} s)")
    print(f"\n({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
