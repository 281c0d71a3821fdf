"""Pick-lottery insights and audit: every figure next to its exact expectation under the fair null.

Current era only (an older matrix has other ball ranges). Each test gives its
statistic, p-value and n:
- white and bonus frequencies (separately): chi-square; within a draw the balls
  are drawn without replacement, so the Pearson statistic is scaled by
  (N-1)/(N-k) to have its chi-square(N-1) mean;
- gaps since each ball was last drawn against the geometric law;
- pairs and triplets of whites against C(N-s, k-s)/C(N, k), each with an exact
  binomial tail, Benjamini-Hochberg corrected over every possible pair/triplet
  (about 5% of pairs pass a 5% test by chance);
- draws per weekday against the real calendar's draw days;
- the sum of the whites and the odd count against their exact distributions.
"Hot" and "cold" only ever appear with the caveat that they predict nothing.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Iterable, Sequence

import numpy as np

from lottery.evaluation.audit import LEVEL
from lottery.games.pick import (PickLottery, ball_frequency, odd_count_distribution,
                                subset_probability, sum_distribution)

FDR = 0.05  # Benjamini-Hochberg level for pairs and triplets
MIN_DRAWS = 20
CAVEAT = ("Hot and cold numbers describe the past only: every ball has the same chance in "
          "the next fair draw, whatever its history.")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def current_era(game: PickLottery, outcomes: Iterable) -> list:
    """Return the outcomes of the game's current era (labelled, or unlabelled of its matrix)."""
    era = game.current_era
    out = []
    for o in outcomes:
        label = getattr(o, "era", None)
        if label == era.start or (label is None and len(o[0]) == era.whites
                                  and max(o[0]) <= era.white_max and max(o[1]) <= era.bonus_max):
            out.append(o)
    return out


def _result(statistic, p, n, df=None, **extra) -> dict:
    out = {"statistic": None if statistic is None else float(statistic),
           "p_value": None if p is None else float(p), "n": n, "rejects": None if p is None
           else bool(p < LEVEL)}
    if df is not None:
        out["df"] = df
    return {**out, **extra}


def _chi(observed, expected, n, scale=1.0, min_n=MIN_DRAWS, **extra) -> dict:
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    df = len(observed) - 1
    if n < min_n or expected.min() <= 0:
        return _result(None, None, n, df, **extra, text=f"too few draws to test (n={n})")
    stat = float(((observed - expected) ** 2 / expected).sum()) * scale
    from scipy import stats  # loaded on first use: ~70 MB a process that never audits saves

    return _result(stat, stats.chi2.sf(stat, df), n, df, **extra)


def _merge_small(observed: list, expected: list, minimum: float = 5.0):
    """Merge neighbouring cells until every expected count is at least `minimum`."""
    obs, exp, o_acc, e_acc = [], [], 0.0, 0.0
    for o, e in zip(observed, expected):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= minimum:
            obs.append(o_acc)
            exp.append(e_acc)
            o_acc = e_acc = 0.0
    if e_acc and exp:
        obs[-1] += o_acc
        exp[-1] += e_acc
    return obs, exp


def frequencies(counts: Sequence[int], n: int, per_draw: int, top: int, what: str) -> dict:
    """Return a drum's counts against n*k/N each, with the without-replacement chi-square."""
    expected = n * per_draw / top
    scale = (top - 1) / (top - per_draw) if top > per_draw else 1.0
    order = sorted(range(1, top + 1), key=lambda b: (-counts[b], b))
    return _chi(counts[1:], [expected] * top, n, scale,
                what=what, expected_each=expected, p_ball=per_draw / top,
                counts={str(b): int(counts[b]) for b in range(1, top + 1)},
                hot=order[:5], cold=order[-5:][::-1], caveat=CAVEAT)


def gaps(draws: Sequence[Sequence[int]], top: int, p: float) -> dict:
    """Return each ball's draws since last seen and the completed gaps against the geometric."""
    last = [-1] * (top + 1)
    completed = []
    for i, balls in enumerate(draws):
        for b in balls:
            if last[b] >= 0:
                completed.append(i - last[b] - 1)
            last[b] = i
    n = len(draws)
    current = {str(b): (n - 1 - last[b] if last[b] >= 0 else None) for b in range(1, top + 1)}
    # P(gap >= g) = (1-p)^g: how surprising each current gap is on its own.
    tail = {b: (None if g is None else (1 - p) ** g) for b, g in current.items()}
    m = len(completed)
    mean_expected = (1 - p) / p
    if m:
        limit = max(1, int(math.ceil(math.log(5 / m) / math.log(1 - p)))) if m > 5 else 1
        bins = Counter(min(g, limit) for g in completed)
        observed = [bins.get(g, 0) for g in range(limit + 1)]
        expected = [m * (1 - p) ** g * p for g in range(limit)] + [m * (1 - p) ** limit]
        observed, expected = _merge_small(observed, expected)
        test = _chi(observed, expected, n) if len(expected) > 1 else _result(None, None, n)
    else:
        test = _result(None, None, n)
    return {**test, "completed_gaps": m, "mean_gap": (sum(completed) / m) if m else None,
            "mean_gap_expected": mean_expected, "current": current, "p_at_least_current": tail,
            "note": "gaps of different balls share draws, so the test is descriptive"}


def benjamini_hochberg(p_values: Sequence[float], total: int) -> list[float]:
    """Return BH q-values of the given p-values among `total` tests (the rest have p = 1)."""
    p = np.asarray(p_values, dtype=float)
    if not p.size:
        return []
    order = np.argsort(p, kind="stable")
    ranked = p[order] * total / np.arange(1, p.size + 1)
    q_sorted = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    q = np.empty_like(q_sorted)
    q[order] = q_sorted
    return q.tolist()


def combos(draws: Sequence[Sequence[int]], size: int, game: PickLottery, show: int = 10) -> dict:
    """Return the most frequent white pairs/triplets against expectation, BH-corrected."""
    era = game.current_era
    n = len(draws)
    p = float(subset_probability(era, size))
    total = math.comb(era.white_max, size)
    # Each subset of a draw's sorted whites as one integer code; counted in one bincount.
    base = era.white_max + 1
    if n:
        balls = np.sort(np.asarray(draws, dtype=np.int64), axis=1)
        codes = np.concatenate([
            sum(balls[:, i] * base ** (size - 1 - j) for j, i in enumerate(idx))
            for idx in combinations(range(balls.shape[1]), size)])
        found = np.bincount(codes, minlength=base ** size)
        seen_codes = np.nonzero(found)[0]
        counts_arr = found[seen_codes]
    else:
        seen_codes = counts_arr = np.zeros(0, dtype=np.int64)

    def decode(code: int) -> tuple[int, ...]:
        return tuple(code // base ** (size - 1 - j) % base for j in range(size))

    from scipy import stats

    pv = stats.binom.sf(counts_arr - 1, n, p) if n else np.zeros(0)
    q = np.asarray(benjamini_hochberg(pv, total))
    ranked = np.lexsort((seen_codes, pv))[:show]
    significant = int((q < FDR).sum())
    return {"size": size, "n": n, "expected_each": n * p, "one_in": 1 / p, "possible": total,
            "seen": int(seen_codes.size), "fdr": FDR, "significant_after_fdr": significant,
            "uncorrected_below_5pct": int((pv < 0.05).sum()),
            "top": [{"balls": list(decode(int(seen_codes[i]))), "count": int(counts_arr[i]),
                     "p_value": float(pv[i]), "q_value": float(q[i])} for i in ranked],
            "text": (f"{significant} of {total} {'pairs' if size == 2 else 'triplets'} stand out "
                     f"after the false-discovery-rate correction (whites only)")}


@lru_cache(maxsize=16)
def _sums(era) -> dict:
    return sum_distribution(era)


def exact_distribution_test(values: Sequence[int], dist: dict, n: int, what: str) -> dict:
    """Return observed values against an exact distribution {value: P}, chi-square on merged cells."""
    keys = sorted(dist)
    seen = Counter(values)
    observed = [seen.get(k, 0) for k in keys]
    expected = [n * float(dist[k]) for k in keys]
    merged_o, merged_e = _merge_small(observed, expected)
    mean = sum(k * float(dist[k]) for k in keys)
    test = _chi(merged_o, merged_e, n) if len(merged_e) > 1 else _result(None, None, n)
    return {**test, "what": what, "mean": (sum(values) / n) if n else None,
            "mean_expected": mean, "observed": {str(k): seen.get(k, 0) for k in keys if seen.get(k)}}


def weekdays(game: PickLottery, issues: Sequence[str]) -> dict:
    """Return draws per weekday against the calendar's draw days in the same date range."""
    if not issues:
        return _result(None, None, 0)
    first, last = game.canonical_issue(issues[0]), game.canonical_issue(issues[-1])
    expected_days = Counter(date.fromisoformat(game.issue_from_ordinal(o)).weekday()
                            for o in range(game.issue_ordinal(first), game.issue_ordinal(last) + 1))
    seen = Counter(date.fromisoformat(i).weekday() for i in issues)
    days = sorted(expected_days)
    n = len(issues)
    scheduled = sum(expected_days.values())
    expected = [n * expected_days[d] / scheduled for d in days]
    test = _chi([seen.get(d, 0) for d in days], expected, n) if len(days) > 1 else \
        _result(None, None, n)
    return {**test, "observed": {WEEKDAYS[d]: seen.get(d, 0) for d in days},
            "expected": {WEEKDAYS[d]: e for d, e in zip(days, expected)},
            "scheduled_draw_days": {WEEKDAYS[d]: expected_days[d] for d in days},
            "missing_draws": scheduled - n,
            "note": "expected by the real calendar (draw days in the range), not total/7"}


def audit(game: PickLottery, outcomes: Sequence) -> dict:
    """Return the randomness tests of outcomes (oldest first), current era only."""
    era = game.current_era
    kept = current_era(game, outcomes)
    n = len(kept)
    whites = [o[0] for o in kept]
    bonus = [o[1] for o in kept]
    wc = np.bincount(np.asarray([b for w in whites for b in w], dtype=np.int64),
                     minlength=era.white_max + 1) if n else np.zeros(era.white_max + 1, int)
    bc = np.bincount(np.asarray([b for x in bonus for b in x], dtype=np.int64),
                     minlength=era.bonus_max + 1) if n else np.zeros(era.bonus_max + 1, int)
    p_white, p_bonus = (float(x) for x in ball_frequency(era))
    return {
        "era": {"start": era.start.isoformat(), "matrix": era.matrix, "draws": n,
                "excluded_other_eras": len(outcomes) - n},
        "white_frequency": frequencies(wc, n, era.whites, era.white_max, "white balls"),
        "bonus_frequency": frequencies(bc, n, era.bonus, era.bonus_max, game.bonus_name),
        "white_gaps": gaps(whites, era.white_max, p_white),
        "bonus_gaps": gaps(bonus, era.bonus_max, p_bonus),
        "white_sum": exact_distribution_test([sum(w) for w in whites], _sums(era), n,
                                             "sum of the whites"),
        "odd_even": exact_distribution_test(
            [sum(1 for b in w if b % 2) for w in whites],
            dict(enumerate(odd_count_distribution(era))), n, "odd whites per draw"),
    }


def insights(game: PickLottery, draws: Sequence[tuple[str, object]]) -> dict:
    """Return the full insights of (issue, outcome) pairs oldest first: audit, pairs, triplets, weekdays."""
    era = game.current_era
    kept = [(i, o) for i, o in draws if date.fromisoformat(i) >= era.start]
    outcomes = [o for _, o in kept]
    body = audit(game, outcomes)
    whites = [o[0] for o in current_era(game, outcomes)]
    body["pairs"] = combos(whites, 2, game)
    body["triplets"] = combos(whites, 3, game)
    body["weekdays"] = weekdays(game, [i for i, _ in kept])
    body["caveat"] = CAVEAT
    return body
