"""Crash Monte Carlo throughput (rounds per second) next to numpy drawing the same uniforms.

    python bench/crash_montecarlo.py [--sessions 20000] [--rounds 1000] [--repeat 3]

For each cash-out strategy, runs the real `crash_montecarlo.run` on sessions x
rounds fair rounds and, in the same run and the same block shapes, times
`numpy.random.Generator.random(out=...)` drawing as many uniforms into one
reused buffer (each round's U, the bustabit v2 formula's input): the ceiling no
simulator of these rounds can beat. Target: >= 0.5 of the ceiling. Best of --repeat runs,
interleaved, so machine load hits both sides, and the median of the paired ratios.
"""
from __future__ import annotations

import argparse

import _common  # puts the project on sys.path

import numpy as np

from lottery.games import get_game
from lottery.sim import crash_montecarlo

GAME = get_game("Crash")
SCENARIOS = [
    ("fixed 2x", {"target": 2, "initial_wallet": 1e9}),
    ("fixed 100x", {"target": 100, "initial_wallet": 1e9}),
    ("martingale 2x, no stop", {"strategy": "progression", "progression": "martingale",
                                "target": 2, "initial_wallet": 1e9}),
    ("martingale script 2x, wallet 100", {"strategy": "martingale_script", "target": 2,
                                          "loss_multiplier": 2, "initial_wallet": 100}),
    ("d'Alembert 3x, no stop", {"strategy": "progression", "progression": "dalembert",
                                "target": 3, "initial_wallet": 1e9}),
    ("streak chaser 10 under 10x", {"strategy": "streak_chaser", "target": 10,
                                    "wait_rounds": 10, "wait_under": 10,
                                    "initial_wallet": 1e9}),
]


def draw_ceiling(sessions: int, rounds: int, seed: int) -> None:
    """Draw the study's uniforms with numpy alone, in its block shapes (the ceiling)."""
    rng = np.random.default_rng(seed)
    per_block = max(1, crash_montecarlo.CHUNK_CELLS // rounds)
    buffer = np.empty((per_block, rounds))
    for first in range(0, sessions, per_block):
        rng.random(out=buffer[:min(per_block, sessions - first)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cells = args.sessions * args.rounds
    print(f"{args.sessions:,} sessions x {args.rounds:,} rounds = {cells:,} rounds per run, "
          f"best of {args.repeat}")
    print(f"{'strategy':<36}{'M rounds/s':>11}{'ceiling M/s':>13}{'ratio':>7}{'paired':>8}"
          f"{'return/unit':>13}")
    for label, extra in SCENARIOS:
        study = crash_montecarlo.parse_study(GAME, {"sessions": args.sessions,
                                                    "rounds": args.rounds, "seed": 1, **extra},
                                             max_bets=cells)
        results = []
        best_run, best_ceiling, paired = _common.side_by_side(
            lambda: results.append(crash_montecarlo.run(study)),
            lambda: draw_ceiling(args.sessions, args.rounds, 1), args.repeat)
        # Rounds drawn per second: a stopped session's remaining rounds are drawn too.
        rate, ceiling = cells / best_run, cells / best_ceiling
        ret = results[-1]["return_per_unit"]["realised"]
        print(f"{label:<36}{rate / 1e6:>11.1f}{ceiling / 1e6:>13.1f}{rate / ceiling:>7.2f}"
              f"{paired:>8.2f}{ret:>13.4f}")


if __name__ == "__main__":
    main()
