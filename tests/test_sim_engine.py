"""Simulator engine: payout table, staking progressions, stops (pure, no Redis)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lottery.games import get_game, wingo
from lottery.sim import engine
from lottery.sim.strategies import (PROGRESSIONS, SimInputError, bet_from_prediction,
                                    make_progression, normalise_bet, parse_multipliers)

GAME = get_game("WinGo_1M")

# Written out by hand from SPEC section 3 (returned per unit staked, 2% fee taken first).
EXPECTED_PAYOUT = {
    "Big": [0, 0, 0, 0, 0, 1.96, 1.96, 1.96, 1.96, 1.96],
    "Small": [1.96, 1.96, 1.96, 1.96, 1.96, 0, 0, 0, 0, 0],
    "Red": [1.47, 0, 1.96, 0, 1.96, 0, 1.96, 0, 1.96, 0],
    "Green": [0, 1.96, 0, 1.96, 0, 1.47, 0, 1.96, 0, 1.96],
    "Violet": [4.41, 0, 0, 0, 0, 4.41, 0, 0, 0, 0],
    **{str(n): [8.82 if d == n else 0 for d in range(10)] for n in range(10)},
}


@pytest.mark.parametrize("bet", wingo.BETS)
def test_payout_table_for_every_bet_and_digit(bet):
    table = engine.payout_table(GAME)
    row = table.payout[table.bet_index[bet]]
    assert row.tolist() == pytest.approx(EXPECTED_PAYOUT[bet], abs=1e-12)
    # The integer path table agrees: gain in hundredths of the stake, -100 on a loss.
    assert engine.gain_row(GAME, bet).tolist() == \
        [round(p * 100) - 100 for p in EXPECTED_PAYOUT[bet]]
    assert engine.payout_table(GAME) is table  # built once per game


@pytest.mark.parametrize("bet,spec", [("Big", 0.98), ("Small", 0.98), ("Red", 0.931),
                                      ("Green", 0.931), ("Violet", 0.882), ("3", 0.882)])
def test_analytic_expected_return_is_the_spec_value(bet, spec):
    assert engine.expected_return(GAME, bet) == pytest.approx(spec, abs=1e-12)


def _stakes(progression, outcomes: str) -> list[float]:
    """Stake multipliers of a W/L sequence by the scalar rules."""
    step, out = 0, []
    for o in outcomes:
        out.append(progression.multiplier(step))
        step = progression.next_step(step, o == "W")
    return out


def _vector_stakes(progression, outcomes: str) -> list[float]:
    won = np.array([[o == "W" for o in outcomes]])
    mult = progression.multipliers_per_round(won)
    return [1.0] * len(outcomes) if mult is None else (mult[0] / 100).tolist()


@pytest.mark.parametrize("name,multipliers,outcomes,expected", [
    ("flat", None, "LLWL", [1, 1, 1, 1]),
    # Capped martingale: after the last level a loss starts the ladder again.
    ("martingale", None, "LLWLLLLLLW", [1, 2, 4, 1, 2, 4, 8, 16, 1, 2]),
    ("custom", [1, 3, 9], "LLLLW", [1, 3, 9, 1, 3]),
    ("custom", [1, 1.5, 2.25], "LLW", [1, 1.5, 2.25]),
    # Paroli presses wins and banks after the last level.
    ("paroli", None, "WWWWLW", [1, 2, 4, 1, 2, 1]),
    ("dalembert", None, "LLWLWWW", [1, 2, 3, 2, 3, 2, 1]),
    ("fibonacci", None, "LLLWLWW", [1, 1, 2, 3, 1, 2, 1]),
])
def test_progressions_on_hand_worked_sequences(name, multipliers, outcomes, expected):
    progression = make_progression(name, multipliers)
    assert _stakes(progression, outcomes) == expected
    assert _vector_stakes(progression, outcomes) == expected


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(PROGRESSIONS),
       outcomes=st.lists(st.booleans(), min_size=1, max_size=60))
def test_vectorised_progressions_agree_with_the_scalar_rules(name, outcomes):
    progression = make_progression(name, [1, 2, 5] if name == "custom" else None)
    text = "".join("W" if w else "L" for w in outcomes)
    assert _vector_stakes(progression, text) == _stakes(progression, text)


def _run(digits, bet, progression, limits):
    gain = engine.gain_row(GAME, bet)[np.array([digits])].astype(np.int64)
    return engine.run_paths(gain, progression, limits, keep_path=True)


def test_take_profit_stops_after_the_round_that_reaches_it():
    res = _run([0, 9, 9, 0, 0, 0], "Big", make_progression("flat"),
               engine.Limits(100, 10, stop_loss=25, take_profit=9))
    assert res.reason[0] == engine.STOP_REASONS.index("take_profit")
    assert res.rounds[0] == 3
    assert res.final[0] == pytest.approx(109.2)
    assert res.wagered[0] == pytest.approx(30)
    assert res.path[0].tolist() == pytest.approx([90, 99.6, 109.2, 109.2, 109.2, 109.2])
    assert res.stakes[0].tolist() == [10, 10, 10, 0, 0, 0]


def test_drawdown_and_a_full_session():
    res = _run([0, 9, 9, 0, 0, 0], "Big", make_progression("flat"), engine.Limits(100, 10))
    assert res.reason[0] == engine.STOP_REASONS.index("max_rounds")
    assert res.rounds[0] == 6
    assert res.final[0] == pytest.approx(79.2)
    assert res.drawdown[0] == pytest.approx(30.0)  # from the 109.2 peak


def test_stop_loss_stops_when_the_loss_reaches_it():
    res = _run([0] * 6, "Big", make_progression("flat"), engine.Limits(100, 10, stop_loss=25))
    assert (res.reason[0], res.rounds[0]) == (engine.STOP_REASONS.index("stop_loss"), 3)
    assert res.final[0] == pytest.approx(70)


def test_ruin_when_the_next_martingale_stake_cannot_be_covered():
    res = _run([0] * 6, "Big", make_progression("martingale"), engine.Limits(60, 10))
    # Stakes 10 and 20 lose; the third stake (40) is more than the 30 left.
    assert (res.reason[0], res.rounds[0]) == (engine.STOP_REASONS.index("ruin"), 2)
    assert res.final[0] == pytest.approx(30)
    assert res.wagered[0] == pytest.approx(30)
    assert res.drawdown[0] == pytest.approx(30)


@pytest.mark.parametrize("wallet, played, reason", [
    (40, 4, "ruin"), (50, 5, "max_rounds"), (60, 5, "max_rounds"), (70, 5, "max_rounds")])
def test_flat_losses_play_on_exactly_while_the_wallet_covers_the_stake(wallet, played, reason):
    # Around the wallet that covers every round (where no session needs a stop check).
    res = _run([0] * 5, "Big", make_progression("flat"), engine.Limits(wallet, 10))
    assert (res.rounds[0], engine.STOP_REASONS[res.reason[0]]) == (played, reason)
    assert res.final[0] == pytest.approx(wallet - 10 * played)
    assert res.drawdown[0] == pytest.approx(10 * played)


def test_stop_loss_is_checked_before_the_next_stake():
    res = _run([0] * 4, "Big", make_progression("flat"), engine.Limits(30, 10, stop_loss=20))
    assert (res.reason[0], res.rounds[0]) == (engine.STOP_REASONS.index("stop_loss"), 2)
    res = _run([0] * 4, "Big", make_progression("flat"), engine.Limits(25, 10))
    assert (res.reason[0], res.rounds[0]) == (engine.STOP_REASONS.index("ruin"), 2)


def _scalar_session(digits, bet, progression, limits):
    """Reference: one session settled round by round with wingo.settle."""
    wallet, step, wagered, peak, drawdown, played, reason = limits.bankroll, 0, 0.0, \
        limits.bankroll, 0.0, 0, "max_rounds"
    for d in digits:
        stake = limits.base_bet * progression.multiplier(step)
        if wallet < stake - 1e-9:
            reason = "ruin"
            break
        returned = wingo.settle(bet, stake, int(d))
        wallet += returned - stake
        wagered += stake
        played += 1
        peak = max(peak, wallet)
        drawdown = max(drawdown, peak - wallet)
        step = progression.next_step(step, returned > 0)
        if limits.stop_loss and wallet <= limits.bankroll - limits.stop_loss + 1e-9:
            reason = "stop_loss"
            break
        if limits.take_profit and wallet >= limits.bankroll + limits.take_profit - 1e-9:
            reason = "take_profit"
            break
    return wallet, played, reason, wagered, drawdown


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(PROGRESSIONS), bet=st.sampled_from(wingo.BETS),
       digits=st.lists(st.lists(st.integers(0, 9), min_size=12, max_size=12),
                       min_size=1, max_size=8),
       wallet=st.integers(20, 200), stop_loss=st.one_of(st.none(), st.integers(5, 150)),
       take_profit=st.one_of(st.none(), st.integers(5, 150)))
def test_vectorised_sessions_match_round_by_round_settlement(name, bet, digits, wallet,
                                                             stop_loss, take_profit):
    progression = make_progression(name, [1, 3, 2] if name == "custom" else None)
    limits = engine.Limits(wallet, 2, stop_loss, take_profit).check(progression)
    res = engine.run_paths(engine.gain_row(GAME, bet)[np.array(digits)].astype(np.int64),
                           progression, limits)
    for i, row in enumerate(digits):
        final, played, reason, wagered, drawdown = _scalar_session(row, bet, progression, limits)
        assert res.final[i] == pytest.approx(final, abs=1e-9)
        assert res.rounds[i] == played
        assert engine.STOP_REASONS[res.reason[i]] == reason
        assert res.wagered[i] == pytest.approx(wagered, abs=1e-9)
        assert res.drawdown[i] == pytest.approx(drawdown, abs=1e-9)


@pytest.mark.parametrize("limits,message", [
    (engine.Limits(-5, 1), "bankroll"), (engine.Limits(100, 0), "base_bet"),
    (engine.Limits(10, 20), "cannot cover"), (engine.Limits(100, 1, stop_loss=-1), "stop_loss"),
    (engine.Limits(float("inf"), 1), "bankroll"), (engine.Limits(1e12, 1e-3), "at most")])
def test_bad_limits_are_rejected(limits, message):
    with pytest.raises(SimInputError, match=message):
        limits.check(make_progression("flat"))


@given(values=st.lists(st.integers(1, 10_000).map(lambda c: c / 100), min_size=1, max_size=64),
       as_text=st.booleans())
def test_multiplier_lists_parse_from_lists_and_strings(values, as_text):
    raw = ",".join(f"{v:g}" for v in values) if as_text else values
    assert parse_multipliers(raw) == tuple(values)


@pytest.mark.parametrize("raw", [[], "", "1,,2", "1,x", [0], [-1, 2], [1.234], [True],
                                 list(range(1, 66)), [2_000_000], "nan", {"a": 1}])
def test_bad_multiplier_lists_are_rejected(raw):
    with pytest.raises(SimInputError):
        make_progression("custom", raw)


def test_progression_names_and_their_multipliers():
    assert make_progression(None).multipliers == (1, 2, 4, 8, 16)
    assert make_progression("Paroli").multipliers == (1, 2, 4)
    with pytest.raises(SimInputError, match="custom progression needs"):
        make_progression("custom")
    with pytest.raises(SimInputError, match="apply to martingale"):
        make_progression("flat", [1, 2])
    with pytest.raises(SimInputError, match="progression must be one of"):
        make_progression("labouchere")


@given(st.sampled_from(wingo.BETS), st.sampled_from([str.lower, str.upper, str.title, str]))
def test_bets_normalise_whatever_their_case(bet, case):
    assert normalise_bet(GAME, case(bet)) == bet


def test_bets_must_belong_to_their_market():
    assert normalise_bet(GAME, 7, "number") == "7"
    assert normalise_bet(GAME, "violet", "color") == "Violet"
    for raw, market in (("Big", "color"), ("Red", "number"), ("10", "number"), (True, None),
                        ("Blue", None), (None, None), (10, None), ("Big", "sum")):
        with pytest.raises(SimInputError):
            normalise_bet(GAME, raw, market)


def test_a_prediction_implies_one_bet_per_market_and_ignores_its_result():
    pred = {"numbers": [7, 1, 2], "big_small": "Big", "color": "Red",
            "result": {"number": 3}}
    assert [bet_from_prediction(GAME, m, pred) for m in ("color", "big_small", "number")] == \
        ["Red", "Big", "7"]
    assert bet_from_prediction(GAME, "color", {"numbers": [1]}) is None
    assert bet_from_prediction(GAME, "number", {"numbers": []}) is None


def _reference_paths(gain, progression, limits):
    """Round-by-round settlement of each session, in exact path units (the reference)."""
    unit = engine.UNIT
    mult = progression.multipliers_per_round(gain > 0)
    mult = np.full(gain.shape, 100, dtype=np.int64) if mult is None else mult
    to_money = limits.base_bet / unit
    ruin_below = math.ceil(round(-limits.bankroll / to_money, 6))
    low_stop = math.floor(round(-limits.stop_loss / to_money, 6)) if limits.stop_loss else None
    high_stop = math.ceil(round(limits.take_profit / to_money, 6)) if limits.take_profit else None
    out = []
    for g, m in zip(gain.tolist(), mult.tolist()):
        value, peak, dd, staked, reason, played, path = 0, 0, 0, 0, 0, 0, []
        for t in range(len(g)):
            if value - 100 * m[t] < ruin_below:
                reason = 1
                break
            value += g[t] * m[t]
            staked += m[t]
            played += 1
            peak = max(peak, value)
            dd = max(dd, peak - value)
            path.append(value)
            if low_stop is not None and value <= low_stop:
                reason = 2
                break
            if high_stop is not None and value >= high_stop:
                reason = 3
                break
        path += [value] * (len(g) - len(path))
        out.append((value, played, reason, staked, dd, path))
    return out


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(PROGRESSIONS), bet=st.sampled_from(wingo.BETS),
       shape=st.tuples(st.integers(1, 8), st.integers(1, 40)), seed=st.integers(0, 2**32 - 1),
       wallet=st.sampled_from([1.0, 4.0, 20.0, 100.0, 1e6]),
       stop_loss=st.sampled_from([None, 3.0, 25.0]), take_profit=st.sampled_from([None, 2.0, 30.0]),
       huge=st.booleans())
def test_fast_paths_match_a_round_by_round_reference(name, bet, shape, seed, wallet, stop_loss,
                                                     take_profit, huge):
    multipliers = ([1, 999_999.99, 1_000_000, 3] if huge else [1, 3, 9]) if name == "custom" else None
    progression = make_progression(name, multipliers)
    digits = np.random.default_rng(seed).integers(0, 10, shape, dtype=np.uint8)
    row = engine.gain_row(GAME, bet)
    gain = row[digits].astype(np.int64)
    try:
        limits = engine.Limits(wallet, 1.0, stop_loss, take_profit).check(progression)
    except SimInputError:
        return
    res = engine.run_paths(gain.copy(), progression, limits, keep_path=True)
    ref = _reference_paths(row[digits].astype(np.int64), progression, limits)
    to_money = 1.0 / engine.UNIT
    for i, (value, played, reason, staked, dd, path) in enumerate(ref):
        assert res.rounds[i] == played
        assert res.reason[i] == reason
        assert res.final[i] == wallet + value * to_money
        assert res.drawdown[i] == dd * to_money
        assert res.wagered[i] == staked * (1.0 / 100)
        assert res.path[i].tolist() == (wallet + np.array(path, dtype=np.int64) * to_money).tolist()

