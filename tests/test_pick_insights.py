"""Pick insights: exact expectations, the corrections, and the era filter."""
from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from lottery.evaluation import pick_audit
from lottery.games.pick import POWERBALL, PickOutcome
from lottery.sources.simulated import SimulatedSource


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.integers(0, 40))
def test_benjamini_hochberg_matches_scipy(ps, extra):
    total = len(ps) + extra
    want = stats.false_discovery_control(ps + [1.0] * extra, method="bh")[:len(ps)]
    assert pick_audit.benjamini_hochberg(ps, total) == pytest.approx(list(want), abs=1e-12)


def _draws(n, seed="ins"):
    source = SimulatedSource(seed)
    first = POWERBALL.issue_ordinal(POWERBALL.history_start())
    return [(d.issue, d.outcome) for d in
            (source.draw(POWERBALL, POWERBALL.issue_from_ordinal(first + k)) for k in range(n))]


def test_pairs_and_triplets_count_whites_only_and_match_a_brute_force_count():
    draws = _draws(300)
    whites = [o[0] for _, o in draws]
    pairs = pick_audit.combos(whites, 2, POWERBALL)
    top = pairs["top"][0]
    brute = sum(1 for w in whites if set(top["balls"]) <= set(w))
    assert top["count"] == brute and top["p_value"] == pytest.approx(
        stats.binom.sf(brute - 1, 300, 1 / 234.6), rel=1e-3)
    assert pairs["possible"] == 2346 and pairs["significant_after_fdr"] == 0
    # Roughly 5% of the pairs pass an uncorrected 5% test by chance; none survive the FDR.
    assert pairs["uncorrected_below_5pct"] < 0.1 * 2346
    assert pick_audit.combos(whites, 3, POWERBALL)["possible"] == 52_394


def test_a_hot_ball_shows_in_the_frequency_test_and_an_older_era_is_left_out():
    rng = random.Random(3)
    draws = _draws(600)
    biased = []
    for issue, o in draws:
        whites = list(o[0])
        if 7 not in whites and rng.random() < 0.2:
            whites[0] = 7
        biased.append((issue, PickOutcome(sorted(whites), o[1], o.era)))
    old = [("2012-01-18", POWERBALL.parse_outcome([1, 2, 3, 4, 59, 35], "2012-01-18"))]
    body = pick_audit.insights(POWERBALL, old + biased)
    assert body["era"]["draws"] == 600 and body["white_frequency"]["p_value"] < 1e-6
    assert body["white_frequency"]["hot"][0] == 7 and "same chance" in body["white_frequency"]["caveat"]
    fair = pick_audit.insights(POWERBALL, draws)
    assert fair["white_frequency"]["p_value"] > 0.001 and fair["bonus_frequency"]["p_value"] > 0.001
    assert fair["white_sum"]["mean_expected"] == pytest.approx(175.0)
    assert fair["odd_even"]["p_value"] > 0.001 and fair["white_gaps"]["mean_gap_expected"] == \
        pytest.approx(64 / 5)


def test_weekdays_follow_the_real_calendar_not_total_over_seven():
    draws = _draws(400)
    body = pick_audit.weekdays(POWERBALL, [i for i, _ in draws])
    assert set(body["observed"]) == {"Monday", "Wednesday", "Saturday"} or \
        set(body["observed"]) == {"Wednesday", "Saturday"}
    assert body["missing_draws"] == 0 and body["p_value"] == pytest.approx(1.0)
    issues = [i for i, _ in draws]
    no_saturdays = issues[:1] + [i for i in issues[1:-1] if date.fromisoformat(i).weekday() != 5] \
        + issues[-1:]
    body = pick_audit.weekdays(POWERBALL, no_saturdays)
    assert body["missing_draws"] == 400 - len(no_saturdays) and body["p_value"] < 1e-6
