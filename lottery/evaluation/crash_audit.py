"""Crash's randomness audit: are the multipliers consistent with the fair v2 formula?

Four tests, each with its statistic, p-value, n and a plain-language line:

- distribution: KS test of V = 1 - 0.99 / X against uniform. Multipliers are
  floored to cents (and 1.00 carries the instant crashes), so V is taken as a
  randomised probability integral transform: uniform within the exact
  probability step of each cent, with a fixed seed so the audit is repeatable;
- runs on reaching 2x (independence of consecutive rounds);
- Ljung-Box on ln X over 10 lags (no autocorrelation);
- streak lengths for 10x against the geometric distribution (chi-square, bins
  pooled so each expects at least 5).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lottery.evaluation.audit import LEVEL
from lottery.evaluation.stats import _scipy_stats, runs_test
from lottery.games.crash import NBITS, TWO52, streak_lengths, streak_p

MIN_KS = 50
MIN_RUNS = 20
LJUNG_LAGS = 10
MIN_LJUNG = 100
MIN_STREAKS = 30
STREAK_T = 10.0
PIT_SEED = 20240101


def _too_few(n: int, needed: int, what: str) -> dict:
    return {"statistic": None, "p_value": None, "n": n,
            "text": f"Too few rounds to test {what} (n={n}, needs {needed})."}


def _cdf_below(cents: np.ndarray) -> np.ndarray:
    """Return P(X < c) of the v2 formula for arrays of cents (exact up to float rounding)."""
    k = np.minimum(TWO52, (np.int64(99) << NBITS) // np.maximum(cents, 1))
    return np.where(cents <= 100, 0.0, 1.0 - k / TWO52)


def audit_multipliers(multipliers: Sequence[float]) -> dict:
    """Return the four audit tests of a multiplier sequence (oldest first)."""
    x = np.asarray(multipliers, dtype=float)
    cents = np.round(x * 100).astype(np.int64)
    return {"distribution": _ks(cents), "runs_2x": _runs(cents),
            "ljung_box": _ljung_box(x), "streaks_10x": _streaks(x.tolist())}


def _ks(cents: np.ndarray) -> dict:
    n = int(cents.size)
    if n < MIN_KS:
        return _too_few(n, MIN_KS, "the multiplier distribution")
    lo, hi = _cdf_below(cents), _cdf_below(cents + 1)
    v = lo + np.random.default_rng(PIT_SEED).random(n) * (hi - lo)
    res = _scipy_stats().kstest(v, "uniform")
    stat, p = float(res.statistic), float(res.pvalue)
    text = (f"The multipliers do not follow P(X >= m) = 0.99/m (KS D={stat:.4f}, p={p:.2g}, "
            f"n={n})." if p < LEVEL else
            f"The multipliers are consistent with P(X >= m) = 0.99/m (KS p={p:.2g}, n={n}).")
    return {"statistic": stat, "p_value": p, "n": n, "text": text,
            "reach_2x_rate": round(float(np.mean(cents >= 200)), 4), "reach_2x_chance": 0.495}


def _runs(cents: np.ndarray) -> dict:
    n = int(cents.size)
    if n < MIN_RUNS:
        return _too_few(n, MIN_RUNS, "runs on reaching 2x")
    res = runs_test(cents >= 200)
    base = {"runs": res["runs"], "expected_runs": res["expected_runs"], "n": n}
    if res["p_value"] is None:
        return {**base, "statistic": None, "p_value": None,
                "text": f"Every one of {n} rounds fell on one side of 2x: the runs test does not apply."}
    p = res["p_value"]
    text = (f"Reaching 2x clusters or alternates more than chance ({res['runs']} runs vs "
            f"{res['expected_runs']:.0f} expected, p={p:.2g}, n={n})." if p < LEVEL else
            f"Runs above and below 2x are consistent with independent rounds (p={p:.2g}, n={n}).")
    return {**base, "statistic": res["statistic"], "p_value": p, "text": text}


def _ljung_box(x: np.ndarray) -> dict:
    n = int(x.size)
    if n < MIN_LJUNG:
        return {**_too_few(n, MIN_LJUNG, "autocorrelation of ln X"), "lags": LJUNG_LAGS}
    y = np.log(x) - np.log(x).mean()
    denom = float(y @ y)
    if denom == 0:
        return {"statistic": None, "p_value": None, "n": n, "lags": LJUNG_LAGS,
                "text": "Every round had the same multiplier: no autocorrelation to test."}
    r = np.array([float(y[k:] @ y[:-k]) / denom for k in range(1, LJUNG_LAGS + 1)])
    q = float(n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, LJUNG_LAGS + 1))))
    p = float(_scipy_stats().chi2.sf(q, LJUNG_LAGS))
    text = (f"ln X is autocorrelated (Ljung-Box Q={q:.1f}, {LJUNG_LAGS} lags, p={p:.2g}, n={n})."
            if p < LEVEL else
            f"No evidence of autocorrelation in ln X ({LJUNG_LAGS} lags, p={p:.2g}, n={n}).")
    return {"statistic": q, "p_value": p, "n": n, "lags": LJUNG_LAGS,
            "autocorrelations": [round(float(v), 4) for v in r], "text": text}


def _streaks(x: list) -> dict:
    lengths, run = streak_lengths(x, STREAK_T)
    n = len(lengths)
    if n < MIN_STREAKS:
        return {**_too_few(n, MIN_STREAKS, "10x streak lengths"), "open_run": run}
    p = streak_p(STREAK_T)
    # Bins 1, 2, ... while each expects >= 5, the rest pooled into one tail bin.
    edges, k = [], 1
    while n * (1 - p) ** (k - 1) * p >= 5 and n * (1 - p) ** k >= 5:
        edges.append(k)
        k += 1
    counts = np.zeros(len(edges) + 1)
    for s in lengths:
        counts[min(s, k) - 1] += 1
    expected = np.array([n * (1 - p) ** (j - 1) * p for j in edges] + [n * (1 - p) ** (k - 1)])
    stat = float(np.sum((counts - expected) ** 2 / expected))
    df = len(expected) - 1
    pv = float(_scipy_stats().chi2.sf(stat, df))
    mean = float(np.mean(lengths))
    text = (f"10x streak lengths do not fit the geometric (chi-square {stat:.1f}, df {df}, "
            f"p={pv:.2g}, {n} streaks)." if pv < LEVEL else
            f"10x streak lengths fit the geometric with p = 0.099 (mean {mean:.1f} vs "
            f"{1 / p:.1f}, p={pv:.2g}, {n} streaks).")
    return {"statistic": stat, "df": df, "p_value": pv, "n": n, "mean_length": round(mean, 2),
            "expected_mean_length": round(1 / p, 2), "open_run": run, "text": text}


def audit(game, multipliers: Sequence[float]) -> dict:
    """Return the crash audit of a game's rounds (the family hook, `Game.audit`)."""
    return audit_multipliers(multipliers)
