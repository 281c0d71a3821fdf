"""Crash's probability checks beyond hit rates: calibration and the streak against the geometric.

- Calibration of "reaches m": predictions grouped by how far they stand from the
  fair 0.99/m (bins of p / chance), each bin with its n, mean forecast, observed
  rate and Wilson interval. A calibrated forecast's rate sits near its mean
  forecast; on fair rounds every bin's rate sits near the chance rate.
- The 10x streak distribution against the geometric: per round, the log loss of
  the predictor's hazard minus the null geometric's, with a paired t-test and a
  Wilcoxon signed-rank test of those differences (two-sided p-values, n). A
  negative mean with a small p-value is a better streak forecast than the
  geometric; on fair rounds none is.
- A next-multiplier point forecast would be scored on ln X (squared error of
  ln X against the null's E[ln X]), never on X, whose mean is infinite; no crash
  predictor makes one, so the backtest says so.

`counts`/`table` turn running counters (the live report) into the same tables as
the backtest's arrays.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from lottery.evaluation.crash_backtest import binary_scores, chunk_cents
from lottery.evaluation.stats import wilson_interval
from lottery.games.crash import MARKETS, REACH_MARKETS, STREAK_MARKET

# Bin edges of forecast / chance: below, near and above the fair probability.
RATIO_EDGES = (0.0, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, math.inf)
CHANCE = {m.name: m.chance for m in MARKETS}
CHUNK = 4096
FORECAST_NOTE = ("No crash predictor makes a next-multiplier point forecast; one would be "
                 "scored on ln X (X has no finite mean), never on the error on X.")


def bin_of(p, chance: float):
    """Return the calibration bin (0..len(RATIO_EDGES)-2) of forecasts p of a market."""
    return np.searchsorted(RATIO_EDGES, np.asarray(p) / chance, side="right") - 1


def table(market: str, n: Sequence[int], hits: Sequence[int], psum: Sequence[float]) -> list[dict]:
    """Return the calibration rows of one market from per-bin n, hits and summed forecasts."""
    chance = CHANCE[market]
    rows = []
    for b, (k, h, s) in enumerate(zip(n, hits, psum)):
        if not k:
            continue
        lo, hi = wilson_interval(int(h), int(k))
        rows.append({"bin": [round(RATIO_EDGES[b] * chance, 6),
                             None if math.isinf(RATIO_EDGES[b + 1])
                             else round(RATIO_EDGES[b + 1] * chance, 6)],
                     "n": int(k), "mean_forecast": round(float(s) / k, 6),
                     "observed": round(int(h) / k, 6), "ci95": [round(lo, 6), round(hi, 6)],
                     "chance": round(chance, 6)})
    return rows


def paired_test(diffs: np.ndarray) -> dict:
    """Return n, mean and sd of paired differences with paired-t and Wilcoxon p-values."""
    from scipy import stats

    d = np.asarray(diffs, dtype=float)
    n = int(d.size)
    out = {"n": n, "mean_diff": float(d.mean()) if n else None,
           "sd_diff": float(d.std(ddof=1)) if n > 1 else None,
           "t": None, "p_t": None, "p_wilcoxon": None}
    if n < 2 or not np.any(d):
        out.update(p_t=1.0, p_wilcoxon=1.0) if n >= 2 else None
        return out
    sd = d.std(ddof=1)
    t = d.mean() / (sd / math.sqrt(n)) if sd > 0 else math.copysign(math.inf, d.mean())
    out.update(t=float(t), p_t=float(2 * stats.t.sf(abs(t), n - 1)),
               p_wilcoxon=float(stats.wilcoxon(d[d != 0]).pvalue) if np.count_nonzero(d) > 1
               else 1.0)
    return out


def paired_from_sums(n: int, dsum: float, dsq: float) -> dict:
    """Return the paired t-test of differences known only by n, sum and sum of squares."""
    from scipy import stats

    out = {"n": n, "mean_diff": dsum / n if n else None, "sd_diff": None, "t": None,
           "p_t": None}
    if n < 2:
        return out
    var = max((dsq - dsum * dsum / n) / (n - 1), 0.0)
    out["sd_diff"] = math.sqrt(var)
    if var == 0:
        out["p_t"] = 1.0 if dsum == 0 else 0.0
        return out
    t = (dsum / n) / math.sqrt(var / n)
    out.update(t=t, p_t=float(2 * stats.t.sf(abs(t), n - 1)))
    return out


def verdict(test: Mapping) -> str:
    """Return the plain sentence of a streak comparison."""
    p = test.get("p_t")
    if p is None:
        return "too few rounds to compare"
    better = (test.get("mean_diff") or 0) < 0
    if p < 0.01:
        return ("lower log loss than the geometric (p < 0.01)" if better
                else "higher log loss than the geometric (p < 0.01)")
    return "no evidence of a better streak forecast than the geometric"


def evaluate(game, outcomes: Sequence, names: Sequence[str] | None = None,
             seed: int = 0) -> dict:
    """Return calibration tables and the streak-vs-geometric tests of every crash predictor."""
    wanted = list(names or game.predictors().names)
    build = game.predictors().build
    runners = build(seed=seed, names=list(dict.fromkeys(wanted + ["null"])), share_members=True)
    null = next(r for r in runners if r.name == "null")
    bins = len(RATIO_EDGES) - 1
    cal = {r.name: {m: np.zeros((3, bins)) for m in REACH_MARKETS} for r in runners}
    diffs: dict[str, list[np.ndarray]] = {r.name: [] for r in runners}
    ll_sums = {r.name: [0.0, 0] for r in runners}
    xs = list(outcomes)
    for start in range(0, len(xs), CHUNK):
        cents = chunk_cents(xs[start:start + CHUNK])
        ref = null.predictor.compute(cents, start)
        ref_ll = _streak_ll(ref, cents)
        for r in runners:
            batch = r.predictor.compute(cents, start)
            for i, (m, c) in enumerate(REACH_MARKETS.items()):
                p = batch.reach[:, i]
                if np.isnan(p[0]):
                    continue
                b = bin_of(p, CHANCE[m])
                acc = cal[r.name][m]
                acc[0] += np.bincount(b, minlength=bins)
                acc[1] += np.bincount(b, weights=cents >= c, minlength=bins)
                acc[2] += np.bincount(b, weights=p, minlength=bins)
            ll = _streak_ll(batch, cents)
            diffs[r.name].append(ll - ref_ll)
            ll_sums[r.name][0] += float(ll[~np.isnan(ll)].sum())
            ll_sums[r.name][1] += int((~np.isnan(ll)).sum())
    out = {}
    for name in wanted:
        d = np.concatenate(diffs[name]) if diffs[name] else np.zeros(0)
        d = d[~np.isnan(d)]
        test = paired_test(d)
        total, n = ll_sums[name]
        out[name] = {
            "calibration": {m: table(m, *cal[name][m]) for m in REACH_MARKETS
                            if cal[name][m][0].any()},
            STREAK_MARKET: {"log_loss": total / n if n else None,
                            "geometric_log_loss": ll_sums["null"][0] / n if n else None,
                            "paired_vs_geometric": test, "verdict": verdict(test)},
        }
    return {"rounds": len(xs), "predictors": out, "ratio_edges": [
        None if math.isinf(e) else e for e in RATIO_EDGES], "next_multiplier": FORECAST_NOTE,
        "note": ("Calibration bins group forecasts by their ratio to the fair chance 0.99/m; "
                 "streak log loss is per round on the stated hazard, compared pairwise with "
                 "the geometric (two-sided paired t and Wilcoxon signed-rank p-values).")}


def _streak_ll(batch, cents: np.ndarray) -> np.ndarray:
    """Return the per-round streak log loss (NaN where the round is not scored)."""
    h = batch.hazard
    ll = np.full(len(h), np.nan)
    ok = ~np.isnan(h)
    hit = cents[ok] >= REACH_MARKETS["reach_10x"]
    loss, _ = binary_scores(np.where(h[ok] < 0, 0.0, h[ok]), hit)
    ll[ok] = loss
    return ll
