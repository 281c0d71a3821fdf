"""Anytime-valid verdicts: fair sequences judged after every trial are rarely ever labelled."""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lottery.evaluation import sequential as seq
from lottery.games import wingo

TRIALS = 20_000
SEQUENCES = 1_000
CHUNK = 250  # sequences simulated at once (250 x 20,000 bools: 5 MB)

NUMBER_BE = wingo.break_even_rate("0")
# (chance, break-even or None when the market cannot pay) of every family's markets.
FAIR_RATES = {
    "wingo number": (0.1, NUMBER_BE),
    "wingo top3": (0.3, 3 * NUMBER_BE),
    "wingo big/small": (0.5, wingo.break_even_rate(wingo.BIG)),
    "crash 2x": (0.99 / 2, 1 / 2),
    "crash 10x": (0.99 / 10, 1 / 10),
    "crash 100x": (0.99 / 100, 1 / 100),
    "powerball 1 of 26": (1 / 26, None),
    "powerball any prize": (1 / 24.87, None),
}


def ever_labelled(rng, chance: float, rate: float, be, alpha: float,
                  sequences: int = SEQUENCES, trials: int = TRIALS) -> dict[str, np.ndarray]:
    """Return, per sequence of Bernoulli(rate) trials, whether each label ever showed."""
    crit = seq.critical_counts(trials, chance, be, alpha)
    edge, better, worse = crit["edge"][1:], crit["better"][1:], crit["worse"][1:]
    out = {"edge": [], "better": [], "worse": [], "first_edge": []}
    for start in range(0, sequences, CHUNK):
        size = min(CHUNK, sequences - start)
        hits = np.cumsum(rng.random((size, trials)) < rate, axis=1, dtype=np.int32)
        crossed = hits >= edge
        out["edge"].append(crossed.any(axis=1))
        out["first_edge"].append(np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, 0))
        out["better"].append((hits >= better).any(axis=1))
        out["worse"].append((hits <= worse).any(axis=1))
    return {k: np.concatenate(v) for k, v in out.items()}


def tolerance(alpha: float, sequences: int) -> float:
    # Three binomial standard errors of a share estimated from `sequences` paths.
    return 3 * math.sqrt(alpha * (1 - alpha) / sequences)


@pytest.mark.parametrize("market", sorted(FAIR_RATES))
def test_fair_sequences_are_rarely_ever_labelled(market):
    chance, be = FAIR_RATES[market]
    rng = np.random.default_rng(zlib.crc32(market.encode()))
    alpha = seq.ALPHA  # one row alone: its level is the board's
    ever = ever_labelled(rng, chance, chance, be, alpha)
    limit = alpha + tolerance(alpha, SEQUENCES)
    for label in ("edge", "better", "worse"):
        share = ever[label].mean()
        assert share <= limit, f"{market}: {share:.3%} ever labelled {label} (limit {limit:.3%})"
    # Any false label at all in a row: still within the row's level (one interval decides all).
    any_label = (ever["better"] | ever["worse"]).mean()
    assert any_label <= limit


def test_a_board_of_rows_is_corrected_together():
    # 40 rows of fair hit paths judged together: any false label anywhere stays under alpha.
    rows, boards, trials = 40, 100, 5_000
    rng = np.random.default_rng(7)
    alpha = seq.row_alpha(rows)
    ever = ever_labelled(rng, 0.1, 0.1, NUMBER_BE, alpha, rows * boards, trials)
    labelled = (ever["better"] | ever["worse"]).reshape(boards, rows).any(axis=1)
    assert labelled.mean() <= seq.ALPHA + tolerance(seq.ALPHA, boards)
    assert seq.verdict([(3, 30, 0.1, NUMBER_BE)] * rows)[0].alpha == pytest.approx(alpha)


def test_a_real_edge_is_found_early():
    # Digit hits at 28% where chance is 10%: an edge within a thousand draws, nearly always.
    rng = np.random.default_rng(28)
    ever = ever_labelled(rng, 0.1, 0.28, NUMBER_BE, seq.row_alpha(40), 200, 2_000)
    assert ever["edge"].all()
    assert (ever["first_edge"] <= 1_000).mean() >= 0.99
    assert not ever["worse"].any()


def test_a_real_shortfall_is_found_worse():
    rng = np.random.default_rng(5)
    ever = ever_labelled(rng, 0.5, 0.4, 0.51, seq.row_alpha(40), 200, 3_000)
    assert ever["worse"].mean() >= 0.99
    assert not ever["better"].any()


def test_critical_counts_match_the_verdict_of_each_count():
    chance, be, alpha = 0.3, 3 * NUMBER_BE, 0.002
    crit = seq.critical_counts(600, chance, be, alpha)
    for n in (0, 29, 30, 31, 100, 257, 600):
        k = np.arange(n + 1)
        flags = seq.judge(k, n, chance, be, alpha)
        assert np.array_equal(flags["edge"], k >= crit["edge"][n])
        assert np.array_equal(flags["better"], k >= crit["better"][n])
        assert np.array_equal(flags["worse"], k <= crit["worse"][n])


def test_a_market_that_cannot_pay_is_never_an_edge():
    crit = seq.critical_counts(2_000, 1 / 26, None, 0.01)
    assert (crit["edge"] == np.arange(2_001) + 1).all()
    [v] = seq.verdict([(400, 2_000, 1 / 26, None)])
    assert v.label == seq.BETTER and v.better and not v.edge


def test_verdict_labels():
    be = NUMBER_BE
    rows = [(3, 29, 0.1, be), (41, 412, 0.1, be), (120, 412, 0.1, be),
            (5, 412, 0.1, be), (60, 412, 1 / 26, None)]
    labels = [v.label for v in seq.verdict(rows)]
    assert labels == [seq.TOO_FEW, seq.NO_EDGE, seq.EDGE, seq.WORSE, seq.BETTER]
    v = seq.verdict(rows)[1]
    assert v.alpha == pytest.approx(seq.ALPHA / 5)
    assert v.lower < 0.1 < v.upper
    assert v.to_dict()["anytime_ci"] == [v.lower, v.upper]
    assert v.detectable_edge is not None and v.detectable_edge > be - 0.1
    assert seq.verdict([]) == []
    # Above chance but not above break-even in a market that can pay: no edge, flagged better.
    [v] = seq.verdict([(1_250, 10_000, 0.1, be)])
    assert v.label == seq.NO_EDGE and v.better and not v.edge and v.lower > 0.1


@pytest.mark.parametrize("row", [(5, 4, 0.1, 0.2), (-1, 4, 0.1, 0.2), (1, 4, 0.0, 0.2),
                                 (1, 4, 1.0, 0.2), (1, 4, 0.1, 1.5)])
def test_verdict_rejects_bad_rows(row):
    with pytest.raises(ValueError):
        seq.verdict([row])


def test_the_anytime_interval_is_wider_than_the_fixed_n_one():
    from lottery.evaluation.stats import wilson_interval

    lo, hi = seq.bounds(412, 1_000, 0.4, 0.05)
    w_lo, w_hi = wilson_interval(412, 1_000)
    assert lo < w_lo and hi > w_hi
    assert hi - lo < 2.5 * (w_hi - w_lo)  # wider, not useless


# -- power -------------------------------------------------------------------------


@pytest.mark.parametrize("n, p0", [(100, 0.5), (412, 0.1), (5_000, 0.3), (20_000, 0.0099)])
def test_detectable_edge_has_the_stated_power(n, p0):
    alpha = seq.row_alpha(40)
    edge = seq.detectable_edge(n, p0, alpha)
    k = seq.critical_counts(n, p0, None, alpha, min_n=0)["better"][n]
    # The chance that n trials at p0 + edge reach the labelling count is the power ...
    assert stats.binom.sf(k - 1, n, p0 + edge) == pytest.approx(seq.POWER, abs=1e-6)
    # ... and by simulation, too.
    rng = np.random.default_rng(n)
    shown = rng.binomial(n, p0 + edge, 20_000) >= k
    assert abs(shown.mean() - seq.POWER) < 0.02


def test_detectable_edge_shrinks_with_n_and_is_none_when_nothing_can_show():
    alpha = seq.row_alpha(40)
    edges = [seq.detectable_edge(n, 0.1, alpha) for n in (100, 400, 1_600, 6_400, 25_600)]
    assert all(a > b for a, b in zip(edges, edges[1:]))
    assert seq.detectable_edge(3, 0.5, alpha) is None
    assert seq.detectable_edge(0, 0.5, alpha) is None
    # Against break-even the bar is higher than against chance.
    assert seq.detectable_edge(1_000, 0.1, alpha, NUMBER_BE) > seq.detectable_edge(1_000, 0.1, alpha)


def test_power_sentence():
    alpha = seq.row_alpha(40)
    points = math.ceil(100 * seq.detectable_edge(412, 0.1, alpha))
    assert seq.power_sentence(412, 0.1, alpha) == (
        f"With n = 412, an edge of {points} points or more over chance would probably "
        "(80% power) have shown.")
    assert "0." in seq.power_sentence(2_000_000, 0.5, alpha)  # under a point: one decimal
    assert seq.power_sentence(3, 0.5, alpha) == "With n = 3, no edge over chance could have shown yet."


# -- properties of the bounds ------------------------------------------------------

rates = st.floats(0.005, 0.995)
levels = st.floats(1e-5, 0.2)


@st.composite
def counts(draw, max_n=5_000):
    n = draw(st.integers(0, max_n))
    return draw(st.integers(0, n)), n


@settings(max_examples=200, deadline=None)
@given(counts(), rates, levels)
def test_bounds_contain_the_hit_rate(kn, chance, alpha):
    k, n = kn
    lo, hi = (float(x) for x in seq.bounds(k, n, chance, alpha))
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo <= k / n <= hi
    # No hit rules nothing out below, no miss nothing above (one hit in many may round to 0).
    assert (k > 0 or lo == 0.0) and (k < n or hi == 1.0)


@settings(max_examples=200, deadline=None)
@given(counts(), rates, levels, levels)
def test_bounds_are_monotone_in_hits_and_nested_in_level(kn, chance, a1, a2):
    k, n = kn
    lo, hi = (float(x) for x in seq.bounds(k, n, chance, a1))
    if k < n:
        lo_up, hi_up = (float(x) for x in seq.bounds(k + 1, n, chance, a1))
        assert lo_up >= lo and hi_up >= hi
    small, big = sorted((a1, a2))
    wide = [float(x) for x in seq.bounds(k, n, chance, small)]
    narrow = [float(x) for x in seq.bounds(k, n, chance, big)]
    assert wide[0] <= narrow[0] + 1e-12 and wide[1] >= narrow[1] - 1e-12


@settings(max_examples=300, deadline=None)
@given(counts(), rates, st.floats(0.0, 0.1), levels)
def test_labels_agree_with_the_bounds(kn, chance, margin, alpha):
    k, n = kn
    be = min(0.999, chance + margin)
    f = {key: bool(v) for key, v in seq.judge(k, n, chance, be, alpha).items()
         if key in ("edge", "better", "worse", "too_few")}
    lo, hi = (float(x) for x in seq.bounds(k, n, chance, alpha))
    eps = 1e-9  # the bounds come from bisection
    assert f["too_few"] == (n < seq.MIN_N)
    assert not (f["better"] and f["worse"])
    assert not (f["edge"] and not f["better"])
    if not f["too_few"]:
        assert f["better"] == (lo > chance) or abs(lo - chance) < eps
        assert f["worse"] == (hi < chance) or abs(hi - chance) < eps
        assert f["edge"] == (lo > be) or abs(lo - be) < eps
    else:
        assert not (f["edge"] or f["better"] or f["worse"])


@settings(max_examples=200, deadline=None)
@given(counts(max_n=3_000), rates, levels)
def test_more_hits_never_lose_a_better_label(kn, chance, alpha):
    k, n = kn
    ks = np.arange(k, n + 1)
    flags = seq.judge(ks, n, chance, chance, alpha)
    better, worse = flags["better"], flags["worse"]
    # Once labelled better, every larger count is; once not worse, no larger count is worse.
    assert np.all(np.diff(better.astype(int)) >= 0)
    assert np.all(np.diff(worse.astype(int)) <= 0)
