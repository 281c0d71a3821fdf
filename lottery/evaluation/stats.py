"""Statistics for honest accuracy figures (scipy underneath)."""
from __future__ import annotations

import math

from scipy import stats as _st


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval of a hit rate (0, 1 when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_p_value(hits: int, n: int, chance: float) -> float:
    """Return the one-sided exact binomial p-value of `hits` or more under `chance`."""
    if n <= 0:
        return 1.0
    return float(_st.binomtest(hits, n, chance, alternative="greater").pvalue)


def rate_summary(hits: int, n: int, chance: float) -> dict:
    """Return hits, n, rate, chance, 95% Wilson interval and p-value as one dict."""
    lo, hi = wilson_interval(hits, n)
    return {"n": n, "hits": hits, "rate": (hits / n) if n else None, "chance": chance,
            "ci95": [lo, hi], "p_value": binomial_p_value(hits, n, chance)}
