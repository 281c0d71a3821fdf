"""Randomness audit of the draw stream (SPEC 5): is it consistent with fair digits?

Three tests, each with its statistic, p-value, n and a plain-language line:
chi-square uniformity of the digits, the runs test on Big/Small, and
independence of consecutive digits (10x10 chi-square). Results are cached per
(game, window, newest issue) for one period, so a burst of requests reads the
draws once.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Sequence

import numpy as np

from lottery import keys
from lottery.evaluation.stats import chi_square_uniform, independence_test, runs_test
from lottery.games import get_game
from lottery.games.wingo import BIG, DIGITS, size
from lottery.store import draws

LEVEL = 0.01  # a test "rejects" below this p-value
MIN_UNIFORMITY = 50  # 5 expected per digit
MIN_RUNS = 20
MIN_LAG1 = 500  # 5 expected per cell of the 10x10 table
DEFAULT_WINDOW = 10_000
NOTE = ("A fair draw passes these tests about 99% of the time each; an occasional rejection "
        f"at the {LEVEL} level is expected by chance, a persistent one is not.")
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


def audit(r, game_code: str, window: int = DEFAULT_WINDOW) -> dict:
    """Return the audit of a game's newest `window` stored draws (cached for one period)."""
    game = get_game(game_code)
    latest = draws.latest_issue(r, game_code)
    cache_key = keys.audit_cache(game_code, window)
    cached = r.get(cache_key)
    if cached is not None:
        body = json.loads(cached)
        if body.get("latest_issue") == latest:
            return body
    digits = draws.recent_numbers(r, game_code, window)
    body = {"game": game_code, "window": window, "n": len(digits), "latest_issue": latest,
            "level": LEVEL, "tests": audit_digits(digits),
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": NOTE}
    r.set(cache_key, json.dumps(body, separators=(",", ":")), ex=game.period_seconds)
    return body
