"""Monte Carlo throughput (settled bets per second) next to numpy's own digit rate.

    python bench/montecarlo.py [--sessions 20000] [--rounds 1000] [--repeat 3]

For flat and martingale staking on Big, runs the real `montecarlo.run` on
sessions x rounds bets and, in the same run and the same block shapes, times
`numpy.random.Generator.integers(0, 10, dtype=uint8)` drawing as many digits:
the ceiling no simulator can beat. Targets: >= 0.5 of the ceiling and
>= 20 million bets/s. Then reports peak traced memory (tracemalloc) of studies
at the API limit (SIMULATOR_MC_MAX_BETS, default 20,000,000 bets) in three
shapes. Best of --repeat runs, interleaved, so machine load hits both sides, and the
median of the paired ratios.
"""
from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import _common  # noqa: F401  (puts the project on sys.path)

import numpy as np

from lottery.games import get_game
from lottery.sim import montecarlo

GAME = get_game("WinGo_1M")


def ceiling_seconds(sessions: int, rounds: int, seed: int) -> float:
    """Return the time numpy alone takes to draw the study's digits in its block shapes."""
    rng = np.random.default_rng(seed)
    per_block = max(1, montecarlo.CHUNK_CELLS // rounds)
    t0 = time.perf_counter()
    for first in range(0, sessions, per_block):
        rng.integers(0, 10, (min(per_block, sessions - first), rounds), dtype=np.uint8)
    return time.perf_counter() - t0


def study_seconds(study) -> tuple[float, int]:
    """Return (seconds, bets settled) of one study run."""
    t0 = time.perf_counter()
    res = montecarlo.run(study)
    return time.perf_counter() - t0, res["bets_settled"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cells = args.sessions * args.rounds
    print(f"{args.sessions:,} sessions x {args.rounds:,} rounds = {cells:,} bets per run, "
          f"best of {args.repeat}")
    print(f"{'strategy':<34}{'M bets/s':>10}{'ceiling M/s':>13}{'ratio':>7}{'paired':>8}")
    scenarios = [
        ("flat, no stop", {"progression": "flat", "initial_wallet": 1e9}),
        ("martingale 1-16, no stop", {"progression": "martingale", "initial_wallet": 1e9}),
        ("martingale 1-16, wallet 100", {"progression": "martingale", "initial_wallet": 100}),
    ]
    for label, extra in scenarios:
        study = montecarlo.parse_study(GAME, {"target": "Big", "sessions": args.sessions,
                                              "rounds": args.rounds, "seed": 1, **extra},
                                       max_bets=cells)
        runs, ceilings, bets = [], [], 0
        for _ in range(args.repeat):
            seconds, bets = study_seconds(study)
            runs.append(seconds)
            ceilings.append(ceiling_seconds(args.sessions, args.rounds, 1))
        # "ratio" is best against best; "paired" the median of each run against the
        # ceiling drawn right after it (steadier when the machine's speed drifts).
        rate, ceiling = bets / min(runs), cells / min(ceilings)
        paired = statistics.median(c / r * bets / cells for c, r in zip(ceilings, runs))
        print(f"{label:<34}{rate / 1e6:>10.1f}{ceiling / 1e6:>13.1f}{rate / ceiling:>7.2f}"
              f"{paired:>8.2f}"
              + ("" if bets == cells else f"   ({bets:,} bets settled: sessions stopped)"))

    print("\npeak traced memory at the API limit (20,000,000 bets):")
    for sessions, rounds in ((1_000_000, 20), (20_000, 1000), (200, 100_000)):
        study = montecarlo.parse_study(GAME, {"progression": "martingale", "sessions": sessions,
                                              "rounds": rounds, "seed": 2})
        tracemalloc.start()
        t0 = time.perf_counter()
        montecarlo.run(study)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {sessions:>9,} sessions x {rounds:>7,} rounds: {peak / 2**20:7.1f} MiB "
              f"({seconds:.2f} s with tracing on)")


if __name__ == "__main__":
    main()
