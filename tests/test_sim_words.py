"""Settling win-or-lose bets a word of rounds at a time gives the round-by-round figures exactly."""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from lottery.sim import engine, words
from lottery.sim.strategies import SimInputError, make_progression

FIELDS = ("final", "rounds", "reason", "wagered", "drawdown")
LADDERS = [("flat", None), ("martingale", None), ("paroli", None), ("custom", [1, 3, 9]),
           ("custom", [1, 2.5]), ("custom", [round(1.5 ** k, 2) for k in range(7)]),  # 8-bit words
           ("custom", list(range(1, 41)))]


def plain(won, profit, progression, limits):
    gain = np.where(won, profit, -100).astype(np.int64)
    return engine.run_paths(gain, progression, limits)


@settings(max_examples=400, deadline=None)
@given(ladder=st.sampled_from(LADDERS),
       shape=st.tuples(st.integers(1, 5), st.integers(1, 300)), seed=st.integers(0, 2**32 - 1),
       profit=st.sampled_from([1, 50, 100, 200, 9_900, 99_999_900]),
       p=st.sampled_from([0.01, 0.3, 0.5, 0.9]),
       wallet=st.sampled_from([1.0, 4.0, 7.37, 20.0, 1e6]), base=st.sampled_from([1.0, 0.5]),
       stop_loss=st.sampled_from([None, 3.0, 3.33, 25.0]),
       take_profit=st.sampled_from([None, 2.0, 2.01, 30.0]))
@example(ladder=("flat", None), shape=(1, 1), seed=0, profit=100, p=0.01, wallet=1.0, base=1.0,
         stop_loss=None, take_profit=None)  # the last round, lost with the last stake
def test_words_give_the_round_by_round_figures(ladder, shape, seed, profit, p, wallet, base,
                                              stop_loss, take_profit):
    progression = make_progression(*ladder)
    try:
        limits = engine.Limits(wallet, base, stop_loss, take_profit).check(progression)
    except SimInputError:
        return
    won = np.random.default_rng(seed).random(shape) < p
    tables = words.word_tables(profit, progression)
    fast = words.run_wins(words.pack(won), shape[1], tables, limits)
    slow = plain(won, profit, progression, limits)
    for field in FIELDS:
        assert np.array_equal(getattr(fast, field), getattr(slow, field)), field


@pytest.mark.parametrize("ladder", LADDERS, ids=lambda x: f"{x[0]} {len(x[1] or ())}")
@pytest.mark.parametrize("limits", [engine.Limits(1e9, 1.0), engine.Limits(30.0, 1.0),
                                    engine.Limits(200.0, 1.0, stop_loss=40, take_profit=25),
                                    engine.Limits(37.37, 1.0, stop_loss=23.33, take_profit=20.01)],
                         ids=["rich", "ruin", "limits", "odd limits"])
def test_long_sessions_give_the_round_by_round_figures(ladder, limits):
    # 16-bit words (8-bit for long ladders) and a tail; sessions that stop anywhere.
    progression = make_progression(*ladder)
    try:
        limits.check(progression)
    except SimInputError:
        return
    won = np.random.default_rng(3).random((300, 1003)) < 0.5
    expected = plain(won, 100, progression, limits)
    tables = words.word_tables(100, progression)
    assert tables.bits == 16 or len(progression.multipliers) > 5  # 8 bits: a larger table
    fast = words.run_wins(words.pack(won), 1003, tables, limits)
    for field in FIELDS:
        assert np.array_equal(getattr(fast, field), getattr(expected, field)), field
    assert expected.drawdown.min() > 0
    stopping = (expected.rounds < 1003).sum()
    assert (stopping > 0) == (limits.bankroll < 1e9)


def test_progressions_that_are_not_ladders_have_no_tables():
    for name in ("dalembert", "fibonacci"):
        assert words.word_tables(100, make_progression(name)) is None
