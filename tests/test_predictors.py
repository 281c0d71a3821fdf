"""Predictors: distributions, hand-worked models, rule learners, the control, no look-ahead."""
import math
import random

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats

from lottery.games.wingo import BIG, GREEN, RED, SMALL, primary_color, size
from lottery.predictors.wingo.base import Prediction, from_probs, hits, markets_of, warm
from lottery.predictors.wingo.control import RandomPredictor
from lottery.predictors.wingo.ensemble import EnsemblePredictor
from lottery.predictors.wingo.markov import MarkovPredictor
from lottery.predictors.wingo.overdue import OverduePredictor
from lottery.predictors.wingo.registry import PREDICTOR_NAMES, REPORT_PREDICTOR, build_predictors
from lottery.predictors.wingo.rules import color_rules, size_rules
from lottery.predictors.wingo.sequence import SequencePredictor

digit_lists = st.lists(st.integers(0, 9), max_size=300)


def test_registry_builds_every_named_predictor_and_the_report_uses_the_ensemble():
    preds = build_predictors(seed=3)
    assert [p.name for p in preds] == list(PREDICTOR_NAMES)
    assert REPORT_PREDICTOR == "ensemble" and REPORT_PREDICTOR in PREDICTOR_NAMES
    assert [p.name for p in build_predictors(names=["markov", "random"])] == ["markov", "random"]
    assert len(build_predictors(names=["markov", "markov"])) == 1  # one instance, fed once
    with pytest.raises(KeyError, match="unknown predictor"):
        build_predictors(names=["crystal_ball"])


@given(digit_lists)
@hsettings(max_examples=40, deadline=None)
def test_every_prediction_is_well_formed(history):
    for p in warm_all(history):
        pred = p.predict()
        assert pred.predictor == p.name
        if pred.numbers:
            assert sorted(pred.numbers) == list(range(10))
        if pred.probs is not None:
            assert math.isclose(sum(pred.probs), 1.0, abs_tol=1e-9)
            assert min(pred.probs) > 0
            # The ranking follows the distribution.
            assert [pred.probs[d] for d in pred.numbers] == sorted(pred.probs, reverse=True)
        assert pred.big_small in (BIG, SMALL, None) and pred.color in (RED, GREEN, None)
        assert markets_of(pred), "every predictor takes part in some market"


def warm_all(history, seed=0):
    preds = build_predictors(seed=seed)
    for p in preds:
        warm(p, history)
    return preds


def test_markov_matches_hand_worked_laplace_counts():
    m = warm(MarkovPredictor(), [1, 2, 1, 2, 1])
    # After 1 came 2 twice: (2 + 1) / (2 + 10) for 2, 1/12 for every other digit.
    p = m.probs()
    assert p[2] == pytest.approx(3 / 12)
    assert all(p[d] == pytest.approx(1 / 12) for d in range(10) if d != 2)
    assert m.prob_of(2) == pytest.approx(3 / 12)
    assert m.predict().numbers[0] == 2 and m.predict().rule == "after 1"
    # Nothing ever followed a 3: uniform.
    assert warm(MarkovPredictor(), [5, 3]).probs() == pytest.approx([0.1] * 10)


def test_sequence_followers_back_off_from_three_to_two_digits():
    s = warm(SequencePredictor(strength=10.0), [1, 2, 3, 1, 2, 4, 1, 2])
    # Context "12" was followed by 3 and 4: p2 = (c + 1) / (2 + 10).
    p2 = [(1 + (1 if d in (3, 4) else 0)) / 12 for d in range(10)]
    # Context "412" was never seen (n3 = 0): the prior p2 is the answer.
    assert s.context() == "412"
    assert s.probs() == pytest.approx(p2)
    s2 = warm(SequencePredictor(strength=10.0), [1, 2, 3, 1, 2, 3, 1, 2])
    # Context "312" was followed once by 3: (1 + 10 p2[3]) / (1 + 10).
    p2b = [(1 + (2 if d == 3 else 0)) / 12 for d in range(10)]
    expected = [((1 if d == 3 else 0) + 10 * p2b[d]) / 11 for d in range(10)]
    assert s2.probs() == pytest.approx(expected)
    assert s2.prob_of(3) == pytest.approx(expected[3])
    assert s2.predict().numbers[0] == 3


def test_color_rule_learner_finds_a_planted_alternation_and_names_the_rule():
    learner = color_rules(min_support=10)
    digits = [1, 2] * 100  # Green, Red, Green, Red ...
    warm(learner, digits)
    pred = learner.predict()
    # The last six were GRGRGR, which was always followed by Green.
    assert pred.color == GREEN and pred.rule == "GRGRGR"
    # GRGRGR preceded the draws at even t = 6..198: 97 times, always followed by Green.
    assert pred.color_p == pytest.approx((97 + 1) / (97 + 2))
    assert pred.extra == {"observed_sequence": "R" + "GR" * 7, "support": 97}
    assert pred.numbers == () and pred.big_small is None
    assert markets_of(pred) == ("color",)


def test_rule_learner_falls_back_to_majority_then_default_and_forgets_old_patterns():
    assert color_rules().predict().rule == "default"
    few = warm(size_rules(min_support=10), [7, 8, 1])  # Big, Big, Small: no pattern seen 10x
    pred = few.predict()
    assert pred.rule == "majority" and pred.big_small == BIG
    assert pred.big_small_p == pytest.approx((2 + 1) / (3 + 2))
    # A window of 50: after 200 alternating draws, 100 Big draws leave only "BBBBBB".
    learner = warm(size_rules(window=50, min_support=5), [9, 0] * 100 + [9] * 100)
    pred = learner.predict()
    assert pred.rule == "BBBBBB" and pred.big_small == BIG
    assert sum(learner.counts) == sum(len(slots) for slots, _ in learner.events)
    assert len(learner.events) == 50


def test_random_control_is_seeded_counter_based_and_uniform():
    a, b, c = RandomPredictor(seed=1), RandomPredictor(seed=1), RandomPredictor(seed=2)
    picks_a, picks_c = [], []
    for d in range(3000):
        pa = a.predict()
        assert pa == a.predict(), "asking twice gives the same picks"
        assert pa == b.predict()
        picks_a.append(pa)
        picks_c.append(c.predict())
        a.update(d % 10)
        b.update((d * 7) % 10)  # the values fed never matter
        c.update(d % 10)
    assert picks_a != picks_c
    top = [0] * 10
    for p in picks_a:
        top[p.numbers[0]] += 1
    assert stats.chisquare(top).pvalue > 1e-4
    bigs = sum(p.big_small == BIG for p in picks_a)
    assert stats.binomtest(bigs, len(picks_a), 0.5).pvalue > 1e-4


def test_ensemble_moves_its_weight_to_the_member_that_predicts_best():
    rng = random.Random(4)
    digits, prev = [], 0
    for _ in range(1500):  # next = previous + 1 (mod 10) nine times out of ten
        prev = (prev + 1) % 10 if rng.random() < 0.9 else rng.randrange(10)
        digits.append(prev)
    ens = warm(EnsemblePredictor(), digits)
    weights = dict(zip([m.name for m in ens.members], ens.weights()))
    assert weights["markov"] > 0.9
    pred = ens.predict()
    assert pred.numbers[0] == (digits[-1] + 1) % 10
    assert pred.extra["weights"]["markov"] > 0.9
    assert math.isclose(sum(ens.probs()), 1.0, abs_tol=1e-9)


def test_ensemble_gives_the_same_answer_whether_or_not_predict_was_called():
    rng = random.Random(8)
    digits = [rng.randrange(10) for _ in range(400)]
    quiet, chatty = EnsemblePredictor(), EnsemblePredictor()
    for d in digits:
        chatty.predict()  # fills the cache the update then uses
        quiet.update(d)
        chatty.update(d)
    assert quiet.log_w == pytest.approx(chatty.log_w)
    assert quiet.predict().probs == pytest.approx(chatty.predict().probs)


@given(history=st.lists(st.integers(0, 9), min_size=1, max_size=120),
       poison=st.lists(st.integers(0, 9), min_size=1, max_size=40), seed=st.integers(0, 2**32),
       share=st.booleans())
@hsettings(max_examples=40, deadline=None)
def test_no_predictor_sees_the_draw_it_predicts(history, poison, seed, share):
    """Walk forward over two streams that agree up to k and differ after: the
    predictions for every issue up to k must be identical."""
    k = len(history)
    clean = history + [(d + 1) % 10 for d in poison]
    poisoned = history + poison
    assert clean[k:] != poisoned[k:]
    a = build_predictors(seed=seed, share_members=share)
    b = build_predictors(seed=seed, share_members=share)
    for i in range(k + 1):
        for pa, pb in zip(a, b):
            assert pa.predict() == pb.predict(), f"{pa.name} differs at step {i}"
        if i < k:
            for pa, pb in zip(a, b):
                pa.update(clean[i])
                pb.update(poisoned[i])


def test_an_ensemble_sharing_its_members_predicts_like_one_with_private_members():
    shared_list = build_predictors(names=["overdue", "sequence", "markov", "ensemble"],
                                   share_members=True)
    shared = shared_list[-1]
    assert shared.shared and shared.members == shared_list[:3]
    own = EnsemblePredictor()
    for d in [int(x) for x in str(7 ** 300)][:400]:
        preds = [p.predict() for p in shared_list]
        assert preds[-1].probs == pytest.approx(own.predict().probs)
        for p in shared_list:
            p.update(d)
        own.update(d)
    with pytest.raises(RuntimeError, match="predict before each update"):
        shared.update(3)  # no predict since the last update: it could see the digit


def test_hits_and_markets_of_partial_predictions():
    full = from_probs("x", [0.0] * 7 + [1.0, 0.0, 0.0])
    assert hits(full, 7) == {"number": True, "top3": True, "big_small": True, "color": True}
    assert hits(full, 2) == {"number": False, "top3": False, "big_small": False, "color": False}
    ai = {"numbers": [7], "big_small": "Big", "color": "Red"}
    assert markets_of(ai) == ("number", "big_small", "color")  # one number: no top3 market
    assert hits(ai, 7) == {"number": True, "big_small": True, "color": False}
    colour_only = Prediction("color_rules", (), None, RED)
    assert hits(colour_only, 4) == {"color": True}
    assert colour_only.to_dict() == {"predictor": "color_rules", "numbers": [], "color": "Red"}


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=10, max_size=10))
def test_from_probs_is_consistent_with_the_game_rules(raw):
    pred = from_probs("x", raw)
    p = pred.probs
    p_big = sum(p[d] for d in range(10) if size(d) == BIG)
    p_green = sum(p[d] for d in range(10) if primary_color(d) == GREEN)
    if abs(p_big - 0.5) > 1e-9:
        assert pred.big_small == (BIG if p_big > 0.5 else SMALL)
    if abs(p_green - 0.5) > 1e-9:
        assert pred.color == (GREEN if p_green > 0.5 else RED)
    assert pred.big_small_p >= 0.5 - 1e-9 and pred.color_p >= 0.5 - 1e-9
    # Ties rank the smaller digit first.
    for a, b in zip(pred.numbers, pred.numbers[1:]):
        assert p[a] > p[b] or (p[a] == p[b] and a < b)


def test_overdue_predictor_still_prefers_the_late_digit():
    o = warm(OverduePredictor(recent_window=50), [d for _ in range(20) for d in range(9)])
    # 9 has never been drawn: most overdue, and nothing else is recent-heavy.
    assert o.predict().numbers[0] == 9
