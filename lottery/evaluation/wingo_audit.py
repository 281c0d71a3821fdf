"""WinGo's randomness audit (SPEC 5): is the draw stream consistent with fair digits?

Three tests, each with its statistic, p-value, n and a plain-language line:
chi-square uniformity of the digits, the runs test on Big/Small, and
independence of consecutive digits (10x10 chi-square).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lottery.evaluation.audit import LEVEL
from lottery.evaluation.stats import chi_square_uniform, independence_test, runs_test
from lottery.games.wingo import BIG, DIGITS, size

MIN_UNIFORMITY = 50  # 5 expected per digit
MIN_RUNS = 20
MIN_LAG1 = 500  # 5 expected per cell of the 10x10 table
_IS_BIG = np.array([size(d) == BIG for d in DIGITS])


def audit_digits(digits: Sequence[int]) -> dict:
    """Return the three audit tests of a digit sequence (oldest first)."""
    x = np.asarray(digits, dtype=np.int64)
    n = int(x.size)
    counts = np.bincount(x, minlength=len(DIGITS)) if n else np.zeros(len(DIGITS), dtype=int)
    return {"uniformity": _uniformity(counts, n), "runs_big_small": _runs(x, n),
            "lag1_independence": _lag1(x, n)}


def _too_few(n: int, needed: int, what: str) -> dict:
    return {"statistic": None, "p_value": None, "n": n,
            "text": f"Too few draws to test {what} (n={n}, needs {needed})."}


def _uniformity(counts: np.ndarray, n: int) -> dict:
    base = {"counts": {str(d): int(c) for d, c in enumerate(counts)}}
    if n < MIN_UNIFORMITY:
        return {**_too_few(n, MIN_UNIFORMITY, "digit uniformity"), "df": len(DIGITS) - 1, **base}
    stat, p, df = chi_square_uniform(counts)
    text = (f"The digits are not equally frequent (chi-square {stat:.1f}, df {df}, p={p:.2g}, "
            f"n={n}): evidence against a fair 1-in-10 draw." if p < LEVEL else
            f"Digit frequencies are consistent with a fair 1-in-10 draw (p={p:.2g}, n={n}).")
    return {"statistic": stat, "df": df, "p_value": p, "n": n, "text": text, **base}


def _runs(x: np.ndarray, n: int) -> dict:
    if n < MIN_RUNS:
        return _too_few(n, MIN_RUNS, "Big/Small runs")
    res = runs_test(_IS_BIG[x])
    base = {"runs": res["runs"], "expected_runs": res["expected_runs"], "n": n}
    if res["p_value"] is None:
        return {**base, "statistic": None, "p_value": None,
                "text": f"Only one size was drawn in {n} draws: the runs test does not apply."}
    p = res["p_value"]
    if p < LEVEL:
        more = "more" if res["runs"] > res["expected_runs"] else "less"
        text = (f"Big and Small alternate {more} often than chance ({res['runs']} runs vs "
                f"{res['expected_runs']:.0f} expected, p={p:.2g}, n={n}).")
    else:
        text = (f"Big/Small runs are consistent with independent draws ({res['runs']} runs vs "
                f"{res['expected_runs']:.0f} expected, p={p:.2g}, n={n}).")
    return {**base, "statistic": res["statistic"], "p_value": p, "text": text}


def _lag1(x: np.ndarray, n: int) -> dict:
    pairs = max(n - 1, 0)
    if n < MIN_LAG1:
        return {**_too_few(pairs, MIN_LAG1 - 1, "digit-to-digit independence"), "df": None}
    table = np.zeros((len(DIGITS), len(DIGITS)), dtype=np.int64)
    np.add.at(table, (x[:-1], x[1:]), 1)
    stat, p, df = independence_test(table)
    text = (f"A digit depends on the previous one (chi-square {stat:.1f}, df {df}, p={p:.2g}, "
            f"n={pairs} pairs)." if p < LEVEL else
            f"No evidence that a digit depends on the previous one (p={p:.2g}, n={pairs} pairs).")
    return {"statistic": stat, "df": df, "p_value": p, "n": pairs, "text": text}


def audit(game, digits: Sequence[int]) -> dict:
    """Return WinGo's audit of a game's digits (the family hook, `Game.audit`)."""
    return audit_digits(digits)
