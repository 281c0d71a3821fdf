"""The crash simulator: cash-out strategies, Monte Carlo (0.99 per unit whatever the strategy),
hash-chain replay and bad input."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from lottery.games import get_game
from lottery.games.crash import TWO52, cents_from_r, generate_chain, published_hash, \
    sample_multipliers
from lottery.sim import crash_montecarlo, crash_replay, engine, words
from lottery.sim.crash_strategies import (NO_EDGE, parse_strategy, reach_threshold)
from lottery.sim.montecarlo import return_per_unit
from lottery.sim.strategies import SimInputError, Workspace
from lottery.sources.crash_feed import CrashFeed
from test_crash_rules import BUSTABIT_V2_GAMES

GAME = get_game("Crash")
RICH = 1e9  # a wallet no study here can empty: every session plays every round


def study(**body):
    return crash_montecarlo.run(crash_montecarlo.parse_study(GAME, body, max_bets=50_000_000))


# -- the honest figure: 0.99 per unit, whatever the target or the strategy ------------------
@pytest.mark.parametrize("target", [1.01, 1.5, 2, 10, 100])
def test_every_target_returns_099_within_its_99_interval(target):
    res = study(target=target, sessions=20_000, rounds=1000, initial_wallet=RICH, seed=7)
    ret, honest = res["return_per_unit"], res["honesty"]
    assert res["rounds_simulated"] == res["bets_settled"] == 20_000_000
    assert ret["expected"] == pytest.approx(0.99, abs=1e-12)
    lo, hi = ret["ci99"]
    assert lo <= 0.99 <= hi and honest["agrees_within_ci99"] is True
    # Tight enough to tell 0.99 from an even game (1.00) at the short targets.
    assert hi - lo < (0.004 if target <= 2 else 0.08)
    assert honest["statement"] == NO_EDGE and honest["no_strategy_changes_it"] is True
    assert "No strategy changes that" in res["disclaimer"]


@pytest.mark.parametrize("body", [
    {"strategy": "progression", "progression": "martingale", "target": 2},
    {"strategy": "progression", "progression": "dalembert", "target": 3},
    {"strategy": "progression", "progression": "paroli", "target": 2},
    {"strategy": "progression", "progression": "fibonacci", "target": 1.5},
    {"strategy": "martingale_script", "target": 2, "loss_multiplier": 2, "max_bet": 64},
    {"strategy": "streak_chaser", "target": 10, "wait_rounds": 20, "wait_under": 10},
], ids=lambda b: b.get("progression", b["strategy"]))
def test_no_strategy_changes_the_return_per_unit(body):
    res = study(**body, sessions=10_000, rounds=1000, initial_wallet=1000, seed=3)
    lo, hi = res["return_per_unit"]["ci99"]
    assert lo <= 0.99 <= hi, res["return_per_unit"]
    assert res["honesty"]["agrees_within_ci99"] is True


def test_the_interval_check_catches_rounds_that_are_not_fair():
    # Rounds where 2x comes up half the time (fair: 49.5%) return 1.00 per unit: the same
    # check must reject 0.99 there, or the test above could not fail.
    strategy, _ = parse_strategy({"target": 2})
    rng = np.random.default_rng(1)
    reached = rng.random((20_000, 1000)) < 0.5
    gain, stakes = strategy.block(reached, None, Workspace())
    res = engine.run_paths(gain, strategy.progression, engine.Limits(RICH, 1.0), stakes=stakes)
    ret = return_per_unit(0.99, res.wagered, res.final - RICH)
    assert not ret["ci99"][0] <= 0.99 <= ret["ci99"][1]
    assert ret["realised"] == pytest.approx(1.0, abs=0.002)


def test_waiting_for_a_drought_changes_nothing():
    # Bet 10x only after 30 rounds in a row under 10x: the bets still win 9.9% of the time.
    res = study(strategy="streak_chaser", target=10, wait_rounds=30, wait_under=10,
                sessions=20_000, rounds=1000, initial_wallet=RICH, seed=5)
    bets = res["bets_settled"]
    assert 0 < bets < res["rounds_simulated"] / 5  # it sits most rounds out
    wins = (res["return_per_unit"]["realised"] * res["return_per_unit"]["staked"]) / 10
    rate, se = wins / bets, math.sqrt(0.099 * 0.901 / bets)
    assert abs(rate - 0.099) < 3 * se
    lo, hi = res["return_per_unit"]["ci99"]
    assert lo <= 0.99 <= hi


# -- the Monte Carlo draws are the game's formula ---------------------------------------------
def test_the_studys_uniforms_give_the_games_formula():
    u = crash_montecarlo.draw_uniforms(np.random.default_rng(42), (50, 2000)).ravel()
    r = np.floor(u * TWO52).astype(np.int64)
    # The game's own formula on each round's 52 bits (the exact integer form).
    cents = np.array([cents_from_r(int(x)) for x in r])
    for target in (101, 150, 200, 1000, 10_000, 123_456):
        assert np.array_equal(u >= crash_montecarlo.uniform_threshold(target), cents >= target)
    # The same distribution as the game's sampler: P(X >= 2) = 0.495 in both.
    sampled = sample_multipliers(np.random.default_rng(1), 100_000, cents=True)
    assert abs((sampled >= 200).mean() - (cents >= 200).mean()) < 0.02


@hsettings(max_examples=300, deadline=None)
@given(target=st.integers(101, 100_000_000), delta=st.integers(-3, 3))
def test_a_uniform_reaches_a_target_exactly_where_its_52_bits_do(target, delta):
    r = min(max(reach_threshold(target) + delta, 0), TWO52 - 1)
    for u in (r / TWO52, np.nextafter((r + 1) / TWO52, 0)):  # the ends of r's U interval
        assert (u >= crash_montecarlo.uniform_threshold(target)) == (cents_from_r(r) >= target)


@hsettings(max_examples=300, deadline=None)
@given(target=st.integers(101, 100_000_000), delta=st.integers(-3, 3))
def test_reach_threshold_is_exactly_where_the_formula_reaches_the_target(target, delta):
    t = reach_threshold(target)
    r = min(max(t + delta, 0), TWO52 - 1)
    assert (cents_from_r(r) >= target) == (r >= t)


@pytest.mark.parametrize("body", [
    {"target": 2},
    {"strategy": "progression", "progression": "martingale", "target": 3},
    {"strategy": "progression", "progression": "dalembert", "target": 1.5},
    {"strategy": "progression", "progression": "fibonacci", "target": 2},
    {"strategy": "progression", "progression": "paroli", "target": 2},
    {"strategy": "martingale_script", "target": 2, "loss_multiplier": 1.5, "max_bet": 20},
    {"strategy": "streak_chaser", "target": 2, "wait_rounds": 3, "wait_under": 2},
], ids=lambda b: b.get("progression", b["strategy"] if "strategy" in b else "fixed"))
def test_vectorised_sessions_match_a_round_by_round_reference(body):
    rng = np.random.default_rng(9)
    cents = sample_multipliers(rng, 40 * 300, cents=True).reshape(40, 300)
    strategy, base = parse_strategy({**body, "base_bet": 1})
    limits = engine.Limits(60.0, base, stop_loss=45, take_profit=30)
    below = cents < strategy.wait_under if strategy.needs_below else None
    gain, stakes = strategy.block(cents >= strategy.target, below, Workspace())
    res = engine.run_paths(gain, strategy.progression, limits, stakes=stakes)
    for s in range(cents.shape[0]):
        final, rounds, reason, wagered = _reference(body, cents[s], limits)
        assert res.final[s] == pytest.approx(final, abs=1e-6)
        assert (res.rounds[s], engine.STOP_REASONS[res.reason[s]]) == (rounds, reason)
        assert res.wagered[s] == pytest.approx(wagered, abs=1e-6)


@pytest.mark.parametrize("body", [
    {"target": 2},
    {"target": 1.01},
    {"target": 100},
    {"strategy": "progression", "progression": "martingale", "target": 3},
    {"strategy": "progression", "progression": "dalembert", "target": 1.5},
    {"strategy": "progression", "progression": "paroli", "target": 2},
    {"strategy": "martingale_script", "target": 2, "loss_multiplier": 1.5, "max_bet": 20},
    {"strategy": "streak_chaser", "target": 2, "wait_rounds": 3, "wait_under": 2},
], ids=lambda b: b.get("progression", b.get("strategy", f"fixed {b['target']}")))
@pytest.mark.parametrize("limits", [engine.Limits(60.0, 1.0, stop_loss=45, take_profit=30),
                                    engine.Limits(RICH, 1.0)], ids=["stops", "rich"])
def test_the_monte_carlos_blocks_settle_like_the_plain_engine(body, limits):
    # The study's shortcuts (gains already scaled, wins passed in) change no figure,
    # and the drawdown is the largest fall from a running peak (the start counts).
    rng = np.random.default_rng(4)
    cents = sample_multipliers(rng, 50 * 400, cents=True).reshape(50, 400)
    strategy, _ = parse_strategy({**body, "base_bet": 1})
    reached = cents >= strategy.target
    below = cents < strategy.wait_under if strategy.needs_below else None
    gain, stakes = strategy.block(reached, below, Workspace())
    plain = engine.run_paths(gain, strategy.progression, limits, stakes=stakes, keep_path=True)
    fast, bets = crash_montecarlo.settle_block(strategy, limits, reached, below, Workspace())
    for field in ("final", "rounds", "reason", "wagered", "drawdown"):
        assert np.array_equal(getattr(fast, field), getattr(plain, field)), field
    assert np.array_equal(bets, np.count_nonzero(plain.stakes, axis=1))
    wallet = np.concatenate([np.full((50, 1), limits.bankroll), plain.path], axis=1)
    falls = np.maximum.accumulate(wallet, axis=1) - wallet
    assert np.allclose(plain.drawdown, falls.max(axis=1), rtol=0, atol=1e-6)
    if limits.bankroll == RICH:
        assert (plain.rounds == 400).all() and plain.drawdown.max() > 0


def _reference(body, cents, limits):
    """One session round by round, written from the strategies' descriptions."""
    kind = body.get("strategy", "fixed")
    m = round(body["target"] * 100)
    wallet, wagered, step, run = limits.bankroll, 0.0, 0, 0
    fib = [1, 1]
    while len(fib) < 400:
        fib.append(fib[-1] + fib[-2])
    for t, x in enumerate(cents):
        progression = body.get("progression")
        if kind == "martingale_script":
            stake = round(body["loss_multiplier"] ** step, 2)
            if stake > body["max_bet"]:
                step, stake = 0, 1.0
        elif progression == "martingale":
            stake = (1, 2, 4, 8, 16)[step % 5]
        elif progression == "dalembert":
            stake = step + 1
        elif progression == "fibonacci":
            stake = fib[step]
        elif progression == "paroli":
            stake = (1, 2, 4)[step % 3]
        elif kind == "streak_chaser":
            stake = 1 if run >= body["wait_rounds"] else 0
        else:
            stake = 1
        if stake > wallet + 1e-9:
            return wallet, t, "ruin", wagered
        won = x >= m
        wallet += stake * (m - 100) / 100 if won else -stake
        wagered += stake
        if kind == "streak_chaser":
            run = run + 1 if x < round(body["wait_under"] * 100) else 0
        elif kind == "martingale_script" or progression == "martingale":
            step = 0 if won else step + 1
        elif progression == "dalembert":
            step = max(0, step - 1) if won else step + 1
        elif progression == "fibonacci":
            step = max(0, step - 2) if won else step + 1
        elif progression == "paroli":
            step = step + 1 if won else 0
        if wallet <= limits.bankroll - limits.stop_loss + 1e-9:
            return wallet, t + 1, "stop_loss", wagered
        if wallet >= limits.bankroll + limits.take_profit - 1e-9:
            return wallet, t + 1, "take_profit", wagered
    return wallet, len(cents), "max_rounds", wagered


def test_a_study_reports_ruin_and_profit_quantiles_and_repeats_with_its_seed():
    body = dict(strategy="martingale_script", target=2, loss_multiplier=2, base_bet=1,
                initial_wallet=100, sessions=5000, rounds=500, seed=11)
    first, second = study(**body), study(**body)
    for res in (first, second):
        for key in ("elapsed_seconds", "bets_per_second", "rounds_per_second"):
            res.pop(key)
    assert first == second
    ruin = first["probability_of_ruin"]
    assert 0 < ruin["p"] < 1 and ruin["ci95"][0] <= ruin["p"] <= ruin["ci95"][1]
    assert ruin["count"] == first["stop_reasons"]["ruin"]
    q = list(first["profit"]["quantiles"].values())
    assert q == sorted(q) and q[0] >= -100  # never more than the wallet is lost
    assert first["study"]["strategy"] == "martingale_script"
    # No max bet: 1, 2, 4, ..., 2^19 base bets (the stake cap); the wallet runs out first.
    assert first["study"]["stake_steps"] == 20 and first["study"]["max_bet"] is None


# -- replay of a hash chain ---------------------------------------------------------------------
def replay(**body):
    return crash_replay.run(crash_replay.parse_replay(GAME, body))


def test_replay_gives_bustabits_published_games():
    (_, newest, x3), (_, _, x2), (_, _, x1) = BUSTABIT_V2_GAMES
    res = replay(hash=newest, count=3, profile="bustabit_v2", target=2, base_bet=1,
                 initial_wallet=10)
    assert [r["multiplier"] for r in res["newest_rounds"]] == [x3, x2, x1]
    assert res["chain"]["newest_hash"] == newest
    assert res["chain"]["oldest_hash"] == BUSTABIT_V2_GAMES[2][1]
    # 1.83 loses, 4.26 and 10.91 win at 2x: -1 + 1 + 1.
    assert res["result"]["net"] == pytest.approx(1.0)
    assert res["result"]["bets"] == 3 and res["result"]["wins"] == 2
    assert res["honesty"]["statement"] == NO_EDGE


def test_replay_of_the_simulated_feed_matches_its_rounds_and_final_hash(r):
    feed = CrashFeed("a-secret", GAME, r)
    newest = feed.seed(GAME, "300")
    res = replay(hash=newest, count=300, target=1.5, base_bet=1, initial_wallet=1000,
                 path_points=300)
    shown = [row["multiplier"] for row in res["newest_rounds"]]
    assert shown == [feed.multiplier(n) for n in range(300, 280, -1)]
    assert res["chain"]["link_before_oldest"] == feed.final_hash(0)
    expected = sum((1.5 - 1) if feed.multiplier(n) >= 1.5 else -1 for n in range(1, 301))
    assert res["result"]["net"] == pytest.approx(expected)
    assert res["result"]["path"][-1] == pytest.approx(1000 + expected)
    assert res["rounds"]["n"] == 300


def test_a_seed_replays_its_chain_and_is_never_queued():
    chain = generate_chain("my test chain", 50)
    by_seed = crash_replay.validate(GAME, {"seed": "my test chain", "count": 50}, None)
    assert "seed" not in by_seed and by_seed["hash"] == chain[-1]
    res = replay(**by_seed)
    assert res["chain"]["link_before_oldest"] == published_hash(chain)
    assert res["chain"]["oldest_hash"] == chain[0]
    hex_chain = replay(hash=chain[-1], count=5, profile="bustabit_v2_2018")
    assert hex_chain["chain"]["link"] == "hex"


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("body,message", [
    ({"strategy": "labouchere"}, "strategy must be one of"),
    ({"strategy": ["fixed"]}, "strategy must be one of"),
    ({"target": 1.0}, "at least 1.01x"),
    ({"target": 1.005}, "two decimals"),
    ({"target": float("nan")}, "finite"),
    ({"target": "NaN"}, "target"),
    ({"target": 1e12}, "target"),
    ({"target": 2_000_000}, "at most 1,000,000x"),
    ({"target": True}, "target"),
    ({"strategy": "progression", "progression": "flat"}, "progression must be one of"),
    ({"strategy": "progression", "progression": "custom", "multipliers": [1, -2]}, "multipliers"),
    ({"strategy": "progression", "progression": "custom"}, "multipliers list"),
    ({"progression": "martingale"}, "applies to the progression strategy"),
    ({"strategy": "martingale_script", "loss_multiplier": 1}, "loss_multiplier"),
    ({"strategy": "martingale_script", "loss_multiplier": "x"}, "loss_multiplier"),
    ({"strategy": "martingale_script", "loss_multiplier": 1e6}, "loss_multiplier"),
    ({"strategy": "martingale_script", "base_bet": 10, "max_bet": 5}, "max_bet"),
    ({"strategy": "streak_chaser", "wait_rounds": 0}, "wait_rounds"),
    ({"strategy": "streak_chaser", "wait_rounds": 2.5}, "wait_rounds"),
    ({"strategy": "streak_chaser", "wait_under": 0.5}, "wait_under"),
    ({"wait_rounds": 5}, "applies to the streak_chaser strategy"),
    ({"base_bet": 0}, "base_bet"),
    ({"sessions": 0}, "sessions"),
    ({"sessions": 100_000, "rounds": 1000}, "over the limit"),
    ({"bankroll": 5}, "unknown field"),
    ({"base_bet": 50, "initial_wallet": 10}, "cannot cover"),
])
def test_bad_studies_are_rejected_with_the_field_named(body, message):
    with pytest.raises(SimInputError, match=message):
        crash_montecarlo.parse_study(GAME, body)


@pytest.mark.parametrize("body,message", [
    ({}, "either hash"),
    ({"hash": "ab" * 32, "seed": "x"}, "either hash"),
    ({"hash": "zz" * 32}, "64 hexadecimal"),
    ({"hash": 12}, "64 hexadecimal"),
    ({"seed": ""}, "seed must be text"),
    ({"hash": "ab" * 32, "count": 100_001}, "count"),
    ({"hash": "ab" * 32, "profile": "roobet"}, "profile"),
    ({"hash": "ab" * 32, "profile": "clone_33"}, "salt"),
    ({"hash": "ab" * 32, "target": 0}, "target"),
])
def test_bad_replays_are_rejected(body, message):
    with pytest.raises(SimInputError, match=message):
        crash_replay.validate(GAME, body, None)


def test_the_cli_runs_crash_strategies_and_rejects_what_they_do_not_take(capsys):
    from lottery.cli import main

    assert main(["simulate", "--game", "Crash", "--strategy", "streak_chaser", "--target", "10",
                 "--wait-rounds", "5", "--wait-under", "10", "--sessions", "200", "--rounds",
                 "400", "--seed", "3", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["study"]["strategy"] == "streak_chaser" and res["study"]["wait_rounds"] == 5
    assert 0 < res["bets_settled"] < res["rounds_simulated"] == 200 * 400
    assert res["honesty"]["expected_return_per_unit"] == pytest.approx(0.99)
    assert main(["simulate", "--game", "Crash", "--target", "2", "--sessions", "100",
                 "--seed", "3"]) == 0
    assert "contains 0.9900: yes" in capsys.readouterr().out
    assert main(["simulate", "--game", "Crash", "--target", "0.5"]) == 2
    assert "cash-out target" in capsys.readouterr().err
    assert main(["simulate", "--game", "WinGo_1M", "--wait-rounds", "3"]) == 2
    assert "--wait-rounds is not an option for WinGo_1M" in capsys.readouterr().err


@pytest.mark.parametrize("body", [{"target": 1.9}, {"strategy": "progression", "target": 3},
                                  {"strategy": "martingale_script", "target": 2,
                                   "loss_multiplier": 2}], ids=["fixed", "martingale", "script"])
@pytest.mark.parametrize("limits", [{"initial_wallet": RICH},
                                    {"initial_wallet": 40, "stop_loss": 8, "take_profit": 10}],
                         ids=["rich", "stops"])
def test_a_study_settled_a_word_at_a_time_matches_the_plain_engine_block_by_block(body, limits):
    # 37 rounds (not a whole number of words) x enough sessions for two settles.
    body = {**body, "sessions": 30_000, "rounds": 37, "seed": 5, **limits}
    parsed = crash_montecarlo.parse_study(GAME, body, max_bets=10**7)
    assert parsed.strategy.word_tables() is not None
    per_block = crash_montecarlo.CHUNK_CELLS // 37
    assert body["sessions"] > per_block * words.GROUP_BLOCKS
    rng, results = np.random.default_rng(5), []
    reach = crash_montecarlo.uniform_threshold(parsed.strategy.target)
    for first in range(0, body["sessions"], per_block):
        u = rng.random((min(per_block, body["sessions"] - first), 37))
        gain, _ = parsed.strategy.block(u >= reach, None, Workspace())
        results.append(engine.run_paths(gain, parsed.strategy.progression, parsed.limits))
    final, wagered, drawdown, played, reason = (
        np.concatenate([getattr(r, f) for r in results])
        for f in ("final", "wagered", "drawdown", "rounds", "reason"))
    expected = crash_montecarlo.montecarlo.summarise(parsed, final, wagered, drawdown, played,
                                                      reason, 1.0)
    res = crash_montecarlo.run(parsed)
    for key in ("elapsed_seconds", "rounds_per_second", "bets_per_second", "disclaimer"):
        expected.pop(key, None), res.pop(key)
    assert {k: res[k] for k in expected} == expected
    assert res["rounds_simulated"] == int(played.sum())
    if "stop_loss" in limits:
        assert all(0 < expected["stop_reasons"][why] < 20_000 for why in ("stop_loss", "take_profit"))
