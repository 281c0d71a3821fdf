"""Statistics for honest accuracy figures and the randomness audit (scipy underneath).

scipy is imported where it is used: it costs ~70 MB of memory, and the draw
worker, which only needs Wilson intervals, never loads it.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# z of the usual 95% level: scipy.stats.norm.ppf(0.975) (a test checks the constant).
_Z = {0.95: 1.959963984540054}


def _scipy_stats():
    from scipy import stats

    return stats


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval of a hit rate (0, 1 when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    z = _Z.get(confidence)
    if z is None:
        z = float(_scipy_stats().norm.ppf(0.5 + confidence / 2))
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds are exactly 0 with no hits and 1 with all hits (rounding aside).
    lo = 0.0 if hits <= 0 else max(0.0, centre - half)
    hi = 1.0 if hits >= n else min(1.0, centre + half)
    return lo, hi


def binomial_p_value(hits: int, n: int, chance: float) -> float:
    """Return the one-sided exact binomial p-value of `hits` or more under `chance`."""
    if n <= 0:
        return 1.0
    # P(X >= hits) = sf(hits - 1): the same value as binomtest(alternative="greater"),
    # without its per-call overhead (the scoreboard computes dozens per request).
    return float(min(1.0, _scipy_stats().binom.sf(hits - 1, n, chance)))


def binomial_p_values(hits: Sequence[int], ns: Sequence[int],
                      chances: Sequence[float]) -> list[float]:
    """Return binomial_p_value for many rows at once (one vectorised scipy call)."""
    if not len(hits):
        return []
    k, n, p = np.asarray(hits), np.asarray(ns), np.asarray(chances, dtype=float)
    out = np.minimum(1.0, _scipy_stats().binom.sf(k - 1, n, p))
    return [1.0 if size <= 0 else float(v) for v, size in zip(out, n)]


def rate_summary(hits: int, n: int, chance: float, p_value: bool = True) -> dict:
    """Return hits, n, rate, chance, 95% Wilson interval (and the p-value) as one dict."""
    lo, hi = wilson_interval(hits, n)
    out = {"n": n, "hits": hits, "rate": (hits / n) if n else None, "chance": chance,
           "ci95": [lo, hi]}
    if p_value:
        out["p_value"] = binomial_p_value(hits, n, chance)
    return out


def holm(p_values: Sequence[float]) -> list[float]:
    """Return Holm step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def chi_square_uniform(counts: Sequence[int]) -> tuple[float, float, int]:
    """Return (statistic, p-value, df) of a chi-square test that all categories are equally likely."""
    res = _scipy_stats().chisquare(np.asarray(counts, dtype=float))
    return float(res.statistic), float(res.pvalue), len(counts) - 1


def runs_test(outcomes: Sequence[bool]) -> dict:
    """Return the Wald-Wolfowitz runs test (normal approximation, two-sided) of a binary sequence."""
    x = np.asarray(outcomes, dtype=bool)
    n1 = int(x.sum())
    n2 = int(x.size - n1)
    runs = int(1 + np.count_nonzero(x[1:] != x[:-1])) if x.size else 0
    if n1 == 0 or n2 == 0:
        return {"runs": runs, "expected_runs": float(runs), "statistic": None, "p_value": None}
    n = n1 + n2
    expected = 2 * n1 * n2 / n + 1
    variance = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n * n * (n - 1))
    z = (runs - expected) / math.sqrt(variance) if variance > 0 else 0.0
    return {"runs": runs, "expected_runs": expected, "statistic": z,
            "p_value": float(2 * _scipy_stats().norm.sf(abs(z)))}


def independence_test(table: np.ndarray) -> tuple[float, float, int]:
    """Return (statistic, p-value, df) of a chi-square independence test of a contingency table.

    Rows and columns that never occur are dropped (they carry no information).
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 0.0, 1.0, 0
    res = _scipy_stats().chi2_contingency(t, correction=False)
    return float(res.statistic), float(res.pvalue), int(res.dof)
