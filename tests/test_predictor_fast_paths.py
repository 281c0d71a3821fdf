"""Predictor fast paths give exactly what the plain formulas give."""
import math
import random

import numpy as np

from lottery.games.wingo import DIGITS
from lottery.predictors.wingo.base import from_float_probs, from_probs
from lottery.predictors.wingo.control import (_HEAD_SPAN, _MASK, _PERMUTATIONS, RandomPredictor,
                                        _decode_tables, lehmer_decode, splitmix64)
from lottery.predictors.wingo.ensemble import EnsemblePredictor, _round4
from lottery.predictors.wingo.markov import MarkovPredictor
from lottery.predictors.wingo.overdue import OverduePredictor
from lottery.predictors.wingo.rules import color_rules, size_rules


def stream(n, seed=1, biased=False):
    rng = random.Random(seed)
    weights = [5, 1, 1, 3, 1, 1, 8, 1, 1, 2] if biased else [1] * 10
    return rng.choices(range(10), weights=weights, k=n)


def test_the_table_decode_of_the_random_picks_is_the_lehmer_decode():
    heads, tails = _decode_tables()
    rng = random.Random(3)
    for x in list(range(3000)) + [rng.randrange(_PERMUTATIONS) for _ in range(20000)] + [
            _PERMUTATIONS - 1]:
        high, low = divmod(x, _HEAD_SPAN)
        head, rest = heads[low]
        assert head + tails[high](rest) == lehmer_decode(x, DIGITS)
    p = RandomPredictor(seed=11)
    for t in range(500):
        h = splitmix64(splitmix64(11 & _MASK) ^ t)
        assert p.predict().numbers == lehmer_decode(h % _PERMUTATIONS, DIGITS)
        p.update(0)


def test_from_float_probs_is_from_probs_and_falls_back_for_other_numbers():
    rng = random.Random(4)
    for _ in range(2000):
        probs = [rng.random() ** 3 for _ in range(10)]
        if rng.random() < 0.2:
            probs[rng.randrange(10)] = probs[rng.randrange(10)]  # ties
        assert from_float_probs("x", probs, "r", {"a": 1}) == from_probs("x", probs, "r", {"a": 1})
    for raw in ([0] * 7 + [1, 0, 0], list(np.full(10, 0.1)), [0.0] * 10):
        fast, plain = from_float_probs("x", raw), from_probs("x", raw)
        assert fast == plain and all(type(p) is float for p in fast.probs)


def test_round4_is_round_to_four_places():
    rng = random.Random(5)
    values = [rng.random() for _ in range(100_000)] + [k / 20000 for k in range(20001)]
    values += [x + math.ulp(x) for x in values[-20001:]] + [x - math.ulp(x) for x in values[-20001:]]
    values += [0.0, -0.0, 1.0, 5e-324, 1.5, -0.25, float("nan")]
    for x in values:
        assert repr(_round4(x)) == repr(round(x, 4))


def test_the_unrolled_three_member_ensemble_matches_the_general_mixture():
    ens = EnsemblePredictor()
    for d in stream(3000, biased=True):
        pred = ens.predict()
        weights = ens.weights()
        assert pred == from_probs(ens.name, ens._mixture(weights), rule="mixture", extra={
            "weights": {m.name: round(w, 4) for m, w in zip(ens.members, weights)}})
        ens.update(d)
    two = EnsemblePredictor([MarkovPredictor(), OverduePredictor()])
    for d in stream(300):
        assert math.isclose(sum(two.predict().probs), 1.0)
        two.update(d)


def test_overdue_likelihoods_follow_the_formula_on_its_counts():
    o = OverduePredictor(recent_window=20)
    for d in stream(2000, seed=2, biased=True):
        t, n_recent = o.t, max(len(o.recent), 1)
        scores = [max(0.5 * min((t - seen if seen >= 0 else t + 1)
                                / (g_sum / g_n if g_n else 10.0), 3.0) / 3.0
                      + 0.5 * (count / n_recent), 1e-6)
                  for seen, g_sum, g_n, count in zip(o.last_seen, o.gap_sum, o.gap_n,
                                                     o.recent_counts)]
        assert o.likelihoods() == [s / sum(scores) for s in scores]
        o.update(d)


def test_rule_counts_are_the_counts_over_the_window():
    for make in (color_rules, size_rules):
        learner = make(window=60, min_support=3)
        history = []
        for d in stream(1500, seed=6, biased=True):
            learner.update(d)
            history.append(learner.symbol_of(d))
            window = history[-60:]
            start = len(history) - len(window)
            for k, off, mask in learner.spec:
                expected = [0] * (2 ** k * 2)
                for j in range(max(start, k), len(history)):
                    pid = 0
                    for s in history[j - k:j]:
                        pid = (pid << 1) | s
                    expected[2 * pid + history[j]] += 1
                assert learner.counts[off:off + len(expected)] == expected
            assert learner.observed == "".join(learner.letters[s] for s in history[-15:])
