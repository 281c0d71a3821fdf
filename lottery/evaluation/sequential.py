"""Anytime-valid verdicts for hit rates: honest when the scoreboard is read after every draw.

A fixed-n p-value is valid for one look at one sample size. The scoreboard is
looked at after every draw for weeks, so a fair predictor's p-value dips below
any level at some moment far more often than the level says. The verdicts here
use a confidence sequence instead: bounds that cover the true hit rate at every
n at once with probability at least 1 - alpha, however often they are read.

Method: the beta-binomial mixture confidence sequence of Howard, Ramdas,
McAuliffe and Sekhon (2021), "Time-uniform, nonparametric, nonasymptotic
confidence sequences", Annals of Statistics 49(2), section 3 (conjugate
mixtures). For a candidate rate p, the mixture of likelihood ratios

    M_n(p) = integral of  q^k (1-q)^(n-k) / (p^k (1-p)^(n-k))  dBeta(q; a, b)
           = B(a + k, b + n - k) / B(a, b) / (p^k (1-p)^(n-k))

is a non-negative martingale with mean 1 when the true rate is p, so by Ville's
inequality P(M_n(p) >= 1/alpha at any n) <= alpha. The confidence sequence is
{p : M_n(p) < 1/alpha}; since log M_n(p) is a constant minus the binomial
log-likelihood, it is an interval around k/n. M_n(p) is also the e-value
against the rate p. The prior Beta(a, b) is fixed before any data: centred on
the row's chance rate with the weight of RHO trials.

One interval per row decides all three labels, so the chance of any false
label in a row (edge, better or worse than chance) is at most that row's level;
rows shown together split the level evenly (Bonferroni), so the chance of any
false label anywhere on the board, at any moment, is at most ALPHA.

numpy and scipy.special only; scipy is imported where it is used (see stats.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

ALPHA = 0.01  # chance of any false label on the whole board, ever
MIN_N = 30  # below this many resolved predictions no verdict is given
# Prior weight of the mixture, in trials (fixed before any data, as validity needs).
# From 400 to 20,000 trials its detectable edge is within ~3% of the best weight
# for that n; at n = 100 about 20% above it (bench/anytime.py prints the table).
RHO = 100.0
POWER = 0.8  # the power behind "an edge of X points would probably have shown"

EDGE = "edge"
BETTER = "better than chance"
NO_EDGE = "no evidence of an edge"
WORSE = "worse than chance"
TOO_FEW = "too few draws to judge"

_BISECT_STEPS = 60  # halvings of [0, 1]: far below any figure shown


def _special():
    from scipy import special

    return special


def log_mixture(hits, n, rate, center, rho: float = RHO) -> np.ndarray:
    """Return log M_n(rate): the log e-value of k hits in n against the hit rate `rate`."""
    sp = _special()
    k, n = np.asarray(hits, dtype=float), np.asarray(n, dtype=float)
    p, c = np.asarray(rate, dtype=float), np.asarray(center, dtype=float)
    a, b = rho * c, rho * (1.0 - c)
    with np.errstate(divide="ignore", invalid="ignore"):
        # xlogy: 0 * log(0) is 0, so a rate of 0 or 1 is only ruled out by a hit or a miss.
        loglik = sp.xlogy(k, p) + sp.xlog1py(n - k, -p)
        return sp.betaln(a + k, b + n - k) - sp.betaln(a, b) - loglik


def bounds(hits, n, chance, alpha, rho: float = RHO) -> tuple[np.ndarray, np.ndarray]:
    """Return the anytime-valid (lower, upper) bounds of the hit rate at level `alpha`."""
    k = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    k, n, c, alpha = np.broadcast_arrays(k, n, np.asarray(chance, dtype=float),
                                         np.asarray(alpha, dtype=float))
    threshold = np.log(1.0 / alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        mle = np.where(n > 0, k / np.where(n > 0, n, 1), 0.5)

    def crossing(lo, hi, rejected_at_lo):
        # Bisection for the edge of {p : log M < threshold}; log M is convex in p
        # with its minimum (<= 0) at k/n, so each side has one crossing. The
        # returned end is the one inside the rejected region: the bound errs wide.
        lo, hi = lo.copy(), hi.copy()
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            rejected = log_mixture(k, n, mid, c, rho) >= threshold
            move_lo = rejected == rejected_at_lo
            lo = np.where(move_lo, mid, lo)
            hi = np.where(move_lo, hi, mid)
        return lo, hi

    lo_end, _ = crossing(np.zeros_like(mle), mle, True)
    _, hi_end = crossing(mle, np.ones_like(mle), False)
    lower = np.where(k > 0, lo_end, 0.0)
    upper = np.where(k < n, hi_end, 1.0)
    return lower, upper


def row_alpha(rows: int, alpha: float = ALPHA) -> float:
    """Return the level of one row when `rows` rows are shown together (Bonferroni)."""
    return alpha / max(1, rows)


def judge(hits, n, chance, break_even, alpha_row, min_n: int = MIN_N,
          rho: float = RHO) -> dict[str, np.ndarray]:
    """Return the flags of many rows at their own levels (vectorised; no correction applied).

    `break_even` of NaN means the market cannot pay: "edge" is never given there.
    Keys: edge, better, worse, too_few (bool arrays) and log_e_up, log_e_down
    (log e-values against chance, 0 when the data point the other way).
    """
    k, n, c, be, a = np.broadcast_arrays(
        np.asarray(hits, dtype=float), np.asarray(n, dtype=float),
        np.asarray(chance, dtype=float), np.asarray(break_even, dtype=float),
        np.asarray(alpha_row, dtype=float))
    threshold = np.log(1.0 / a)
    too_few = n < min_n
    e_chance = log_mixture(k, n, c, c, rho)
    e_be = log_mixture(k, n, np.where(np.isnan(be), c, be), c, rho)
    # A rate is ruled out from below when its e-value crosses 1/alpha and the
    # hit rate lies above it: then the whole confidence interval is above it.
    up = k > n * c
    down = k < n * c
    better = ~too_few & up & (e_chance >= threshold)
    worse = ~too_few & down & (e_chance >= threshold)
    edge = better & ~np.isnan(be) & (k > n * np.nan_to_num(be, nan=1.0)) & (e_be >= threshold)
    return {"edge": edge, "better": better, "worse": worse, "too_few": too_few,
            "log_e_up": np.where(up, e_chance, 0.0), "log_e_down": np.where(down, e_chance, 0.0)}


@dataclass(frozen=True)
class Row:
    """One (predictor, market) row: hits in n against its chance and break-even rates."""

    hits: int
    n: int
    chance: float
    break_even: float | None  # None: the market cannot pay (pick lotteries)


@dataclass(frozen=True)
class Verdict:
    """The anytime-valid verdict of one row, with the figures behind it."""

    label: str  # EDGE, BETTER, NO_EDGE, WORSE or TOO_FEW
    lower: float  # anytime-valid bounds of the hit rate at this row's level
    upper: float
    edge: bool
    better: bool  # significantly above chance (true whenever edge is)
    worse: bool
    alpha: float  # this row's level after the correction across rows
    e_value: float  # evidence against chance, in the direction the data point (capped)
    # The smallest edge over chance (a rate difference) that this n labels "edge"
    # (or "better than chance" where the market cannot pay) with 80% power.
    detectable_edge: float | None

    def to_dict(self) -> dict:
        """Return the verdict as JSON-able fields."""
        return {"verdict": self.label, "anytime_ci": [self.lower, self.upper],
                "edge": self.edge, "better": self.better, "worse": self.worse,
                "alpha": self.alpha, "e_value": self.e_value,
                "detectable_edge": self.detectable_edge}


def verdict(rows: Sequence[Row | tuple], alpha: float = ALPHA, min_n: int = MIN_N,
            rho: float = RHO) -> list[Verdict]:
    """Return the verdicts of rows shown together, corrected across them."""
    rows = [r if isinstance(r, Row) else Row(*r) for r in rows]
    if not rows:
        return []
    for r in rows:
        _check_row(r)
    a = row_alpha(len(rows), alpha)
    k = np.array([r.hits for r in rows], dtype=float)
    n = np.array([r.n for r in rows], dtype=float)
    c = np.array([r.chance for r in rows], dtype=float)
    be = np.array([np.nan if r.break_even is None else r.break_even for r in rows])
    flags = judge(k, n, c, be, a, min_n, rho)
    lower, upper = bounds(k, n, c, a, rho)
    out = []
    for i, r in enumerate(rows):
        if flags["too_few"][i]:
            label = TOO_FEW
        elif flags["edge"][i]:
            label = EDGE
        elif flags["better"][i] and r.break_even is None:
            # Only where no hit rate can pay: elsewhere above chance but not above
            # break-even is still no usable edge (the flag `better` says it).
            label = BETTER
        elif flags["worse"][i]:
            label = WORSE
        else:
            label = NO_EDGE
        log_e = max(flags["log_e_up"][i], flags["log_e_down"][i])
        target = r.chance if r.break_even is None else max(r.chance, r.break_even)
        out.append(Verdict(label, float(lower[i]), float(upper[i]), bool(flags["edge"][i]),
                           bool(flags["better"][i]), bool(flags["worse"][i]), a,
                           float(math.exp(min(log_e, 700.0))),
                           detectable_edge(r.n, r.chance, a, target, rho=rho)
                           if r.n >= min_n else None))
    return out


def _check_row(r: Row) -> None:
    if not (0 <= r.hits <= r.n):
        raise ValueError(f"hits must be between 0 and n, got {r.hits} of {r.n}")
    if not (0.0 < r.chance < 1.0):
        raise ValueError(f"chance must be strictly between 0 and 1, got {r.chance}")
    if r.break_even is not None and not (0.0 < r.break_even < 1.0):
        raise ValueError(f"break_even must be strictly between 0 and 1, got {r.break_even}")


def critical_counts(n_max: int, chance: float, break_even: float | None, alpha: float,
                    min_n: int = MIN_N, rho: float = RHO) -> dict[str, np.ndarray]:
    """Return, for every n up to n_max, the hit counts at which each label starts.

    `edge[n]` and `better[n]` are the fewest hits labelled so (n + 1: never);
    `worse[n]` the most hits labelled worse than chance (-1: never). A running
    count k_n is labelled at n exactly when it crosses these, so a whole path is
    judged after every trial with one comparison per trial.
    """
    ns = np.arange(n_max + 1)

    def smallest(rate):
        # Fewest hits k > n * rate with log M_n(rate) >= threshold; the predicate
        # is monotone in k above n * rate (log M grows as k moves away from it).
        lo = np.floor(ns * rate).astype(np.int64)  # largest k not above n * rate: never
        hi = ns + 1  # "never" sentinel
        threshold = math.log(1.0 / alpha)
        hi_ok = np.zeros(ns.shape, dtype=bool)
        top = log_mixture(ns, ns, rate, chance, rho) >= threshold  # all hits
        hi_ok |= top & (ns > lo)
        hi = np.where(hi_ok, ns, hi)
        # Invariant: lo not labelled, hi labelled (rows where nothing is are left alone).
        while True:
            gap = hi_ok & ((hi - lo) > 1)
            if not gap.any():
                break
            mid = (lo + hi) // 2
            ok = log_mixture(mid, ns, rate, chance, rho) >= threshold
            lo = np.where(gap & ~ok, mid, lo)
            hi = np.where(gap & ok, mid, hi)
        return np.where(hi_ok, hi, ns + 1)

    def largest_below():
        hi = np.ceil(ns * chance).astype(np.int64)  # smallest k not below n * chance: never
        lo = np.full(ns.shape, -1)  # "never" sentinel
        threshold = math.log(1.0 / alpha)
        zero = (log_mixture(0, ns, chance, chance, rho) >= threshold) & (hi > 0)
        lo = np.where(zero, 0, lo)
        while True:
            gap = zero & ((hi - lo) > 1)
            if not gap.any():
                break
            mid = (lo + hi) // 2
            ok = log_mixture(mid, ns, chance, chance, rho) >= threshold
            lo = np.where(gap & ok, mid, lo)
            hi = np.where(gap & ~ok, mid, hi)
        return np.where(zero, lo, -1)

    better = smallest(chance)
    if break_even is None:
        edge = ns + 1
    else:
        edge = np.maximum(smallest(break_even), better)
    worse = largest_below()
    young = ns < min_n
    return {"edge": np.where(young, ns + 1, edge), "better": np.where(young, ns + 1, better),
            "worse": np.where(young, -1, worse)}


def detectable_edge(n: int, p0: float, alpha: float, threshold: float | None = None,
                    power: float = POWER, rho: float = RHO) -> float | None:
    """Return the smallest edge over chance that n trials label with `power` (None: none can)."""
    if n <= 0:
        return None
    target = p0 if threshold is None else threshold
    k = _fewest_hits(n, p0, target, alpha, rho)
    if k is None:
        return None
    # P(Bin(n, p) >= k) = I_p(k, n - k + 1): the rate p at which that chance is `power`.
    p = float(_special().betaincinv(k, n - k + 1, power))
    return max(0.0, p - p0)


def _fewest_hits(n: int, p0: float, target: float, alpha: float, rho: float) -> int | None:
    threshold = math.log(1.0 / alpha)

    def labelled(k: int) -> bool:
        return k > n * target and bool(log_mixture(k, n, target, p0, rho) >= threshold)

    if not labelled(n):
        return None
    lo, hi = math.floor(n * target), n  # lo: not labelled, hi: labelled
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if labelled(mid):
            hi = mid
        else:
            lo = mid
    return hi


def power_sentence(n: int, p0: float, alpha: float, threshold: float | None = None,
                   power: float = POWER) -> str:
    """Return the plain sentence of what this n could have shown."""
    return edge_sentence(n, p0, detectable_edge(n, p0, alpha, threshold, power), power)


def edge_sentence(n: int, p0: float, edge: float | None, power: float = POWER) -> str:
    """Return the plain sentence of a detectable edge already computed (see detectable_edge)."""
    if edge is None or p0 + edge >= 1.0:
        return f"With n = {n}, no edge over chance could have shown yet."
    points = 100 * edge
    figure = f"{math.ceil(points)}" if points >= 1 else f"{math.ceil(points * 10) / 10:g}"
    return (f"With n = {n}, an edge of {figure} points or more over chance "
            f"would probably ({round(100 * power)}% power) have shown.")
