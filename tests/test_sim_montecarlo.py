"""Monte Carlo studies: the measured return agrees with SPEC; limits; the CLI."""
import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

from lottery.cli import main
from lottery.games import Game, get_game
from lottery.sim import backtest, engine, montecarlo, words
from lottery.sim.strategies import SimInputError, Workspace

GAME = get_game("WinGo_1M")
SPEC_RETURN = {"Big": 0.98, "Small": 0.98, "Red": 0.931, "Green": 0.931, "Violet": 0.882,
               "7": 0.882}


@pytest.mark.parametrize("progression", ["flat", "martingale"])
@pytest.mark.parametrize("target", sorted(SPEC_RETURN))
def test_measured_return_per_unit_agrees_with_spec(target, progression):
    study = montecarlo.parse_study(GAME, {"target": target, "progression": progression,
                                          "sessions": 4000, "rounds": 500,
                                          "initial_wallet": 1e6, "seed": 1})
    ret = montecarlo.run(study)["return_per_unit"]
    lo, hi = ret["ci95"]
    assert ret["expected"] == pytest.approx(SPEC_RETURN[target], abs=1e-12)
    assert lo <= SPEC_RETURN[target] <= hi and ret["expected_within_ci95"] is True
    # Narrow enough to catch a payout off by the fee (0.98 vs 1.00 on Big/Small).
    assert hi - lo < 0.02


def test_a_small_wallet_martingale_study_is_summarised_consistently():
    study = montecarlo.parse_study(GAME, {"target": "Big", "progression": "martingale",
                                          "initial_wallet": 100, "sessions": 3000,
                                          "rounds": 400, "stop_loss": 90, "take_profit": 50,
                                          "seed": 3})
    calls = []
    res = montecarlo.run(study, progress=calls.append)
    assert sum(calls) == 3000 * 400
    assert sum(res["stop_reasons"].values()) == 3000
    assert res["stop_reasons"]["ruin"] + res["stop_reasons"]["stop_loss"] > 0
    assert res["stop_reasons"]["take_profit"] > 0
    ruin = res["probability_of_ruin"]
    assert ruin["count"] == res["stop_reasons"]["ruin"] and ruin["n"] == 3000
    assert ruin["ci95"][0] <= ruin["p"] <= ruin["ci95"][1]
    q = list(res["final_wallet"]["quantiles"].values())
    assert q == sorted(q) and res["final_wallet"]["min"] >= 0
    assert res["final_wallet"]["max"] < 100 + 50 + 16  # take-profit plus at most one win
    assert res["max_drawdown"]["quantiles"]["p1"] >= 0
    assert res["bets_settled"] < 3000 * 400  # stops end sessions early
    assert res["rounds_played"]["mean"] == pytest.approx(res["bets_settled"] / 3000)
    # A progression changes the risk, never the expected return per unit.
    assert res["return_per_unit"]["expected"] == pytest.approx(0.98)
    assert "disclaimer" in res


def test_a_fixed_seed_reproduces_the_study():
    body = {"progression": "fibonacci", "sessions": 200, "rounds": 50, "seed": 11}
    first = montecarlo.run(montecarlo.parse_study(GAME, body))
    second = montecarlo.run(montecarlo.parse_study(GAME, body))
    other = montecarlo.run(montecarlo.parse_study(GAME, {**body, "seed": 12}))
    for res in (first, second, other):
        res.pop("elapsed_seconds")
        res.pop("bets_per_second")
    assert first == second
    assert first["final_wallet"] != other["final_wallet"]
    unseeded = montecarlo.parse_study(GAME, {"sessions": 1, "rounds": 1})
    assert 0 <= unseeded.seed < 2**63


@pytest.mark.parametrize("body,message", [
    ({"sessions": 20_001, "rounds": 1000}, "over the limit"),
    ({"sessions": 1, "rounds": 100_001}, "rounds must be at most"),
    ({"sessions": 0}, "sessions must be at least 1"),
    ({"sessions": 2.5}, "whole number"),
    ({"target": "Blue"}, "target"),
    ({"initial_wallet": -100}, "initial_wallet"),
    ({"progression": "custom", "multipliers": []}, "multipliers"),
    ({"bankroll": 100}, "unknown field"),
    ({"base_bet": 50, "initial_wallet": 10}, "cannot cover"),
    ([1, 2], "JSON object"),
])
def test_bad_studies_are_rejected(body, message):
    with pytest.raises(SimInputError, match=message):
        montecarlo.parse_study(GAME, body, 20_000_000)


def test_the_limit_itself_is_accepted():
    study = montecarlo.parse_study(GAME, {"sessions": 20_000, "rounds": 1000}, 20_000_000)
    assert study.cells == 20_000_000


def test_cli_prints_json_and_text(capsys):
    assert main(["simulate", "--json", "--no-progress", "--target", "red", "--progression",
                 "custom", "--multipliers", "1,2,3", "--sessions", "50", "--rounds", "20",
                 "--seed", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["study"]["multipliers"] == [1, 2, 3] and out["study"]["target"] == "Red"
    assert main(["simulate", "--no-progress", "--sessions", "50", "--rounds", "20"]) == 0
    text = capsys.readouterr().out
    assert "P(ruin)" in text and "vs expected 0.9800" in text and "Paper money" in text


def test_cli_shows_a_progress_bar_on_stderr(capsys, monkeypatch):
    import tqdm

    monkeypatch.setattr(montecarlo, "CHUNK_CELLS", 100)  # several blocks, several updates
    seen = []
    real = tqdm.tqdm

    def spy(*args, **kwargs):
        kwargs["disable"] = False  # pytest's stderr is not a terminal
        bar = real(*args, **kwargs)
        seen.append(bar)
        return bar

    monkeypatch.setattr(tqdm, "tqdm", spy)
    assert main(["simulate", "--sessions", "30", "--rounds", "10", "--json"]) == 0
    err = capsys.readouterr().err
    assert seen and seen[0].n == 300 and "bet" in err


def test_cli_rejects_bad_options(capsys):
    assert main(["simulate", "--sessions", "0", "--no-progress"]) == 2
    assert "sessions must be at least 1" in capsys.readouterr().err
    assert main(["simulate", "--predictor", "markov"]) == 2
    assert "--backtest" in capsys.readouterr().err


def test_memory_stays_bounded_by_the_block_size():
    import tracemalloc

    study = montecarlo.parse_study(GAME, {"progression": "martingale", "sessions": 400,
                                          "rounds": 5000, "seed": 2})
    tracemalloc.start()
    try:
        montecarlo.run(study)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 2 million bets; the working set is a few blocks of CHUNK_CELLS values and the word
    # tables of the bet and ladder (at most TABLE_BYTES), not S x R.
    assert peak < 20 * montecarlo.CHUNK_CELLS * np.dtype(np.int64).itemsize + words.TABLE_BYTES


class Coin(Game):
    """A toy family for the simulator seam: heads or tails, a win pays 1.9 x the stake."""

    family = "coin"
    code = "Coin_test"
    outcomes = ("H", "T")
    bets = ("Heads", "Tails")
    bet_groups = {"side": bets}
    default_bet = "Heads"
    default_bet_market = "side"

    def settle(self, bet, stake, outcome):
        return stake * 1.9 if bet[0] == outcome else 0.0


def test_any_game_with_finite_outcomes_is_simulated_through_its_own_rules():
    coin = Coin()
    study = montecarlo.parse_study(coin, {"sessions": 4000, "rounds": 500, "seed": 1,
                                          "initial_wallet": 1e6})
    assert study.target == "Heads"
    assert montecarlo.parse_study(coin, {"target": "tails"}).target == "Tails"
    ret = montecarlo.run(study)["return_per_unit"]
    assert ret["expected"] == pytest.approx(0.95, abs=1e-12)
    assert ret["ci95"][0] <= 0.95 <= ret["ci95"][1]
    with pytest.raises(SimInputError, match="target must be one of Heads, Tails"):
        montecarlo.parse_study(coin, {"target": "Big"})
    plan = backtest.parse_backtest(coin, {"target": "Tails", "base_bet": 10,
                                          "initial_wallet": 100, "warmup": 1})
    outcomes = ["H", "T", "T", "H"]
    res = backtest.run_backtest(plan, outcomes, backtest.plan_bets(plan, outcomes))
    assert [p["wallet"] for p in res["path"]] == pytest.approx([109, 118, 108])
    assert res["hit_rate"]["chance"] == 0.5 and res["return_per_unit"]["expected"] == 0.95
    with pytest.raises(SimInputError, match="predictor must be one of report, got 'markov'"):
        backtest.parse_backtest(coin, {"predictor": "markov"})
    with pytest.raises(SimInputError, match="market must be one of side, got 'color'"):
        backtest.parse_backtest(coin, {"predictor": "report", "market": "color"})
    assert backtest.parse_backtest(coin, {"predictor": "report"}).market == "side"


@pytest.mark.parametrize("progression", ["flat", "martingale", "paroli"])
@pytest.mark.parametrize("limits", [{"initial_wallet": 1e9},
                                    {"initial_wallet": 60, "stop_loss": 20, "take_profit": 15}],
                         ids=["rich", "stops"])
def test_a_win_or_lose_bet_settled_a_word_at_a_time_matches_the_plain_engine(progression,
                                                                              limits):
    # Big is won at 1.96 or lost: settled by lottery.sim.words, several blocks at once.
    body = {"target": "Big", "progression": progression, "sessions": 9000, "rounds": 75,
            "seed": 8, **limits}
    study = montecarlo.parse_study(GAME, body)
    row = engine.gain_row(GAME, "Big")
    assert montecarlo._word_tables(row, study.progression) is not None
    per_block = montecarlo.CHUNK_CELLS // 75
    assert body["sessions"] > per_block * words.GROUP_BLOCKS
    rng, results = np.random.default_rng(8), []
    for first in range(0, body["sessions"], per_block):
        digits = rng.integers(0, 10, (min(per_block, body["sessions"] - first), 75),
                              dtype=np.uint8)
        results.append(engine.run_paths(row[digits].astype(np.int64), study.progression,
                                        study.limits))
    expected = montecarlo.summarise(study, *(np.concatenate([getattr(r, f) for r in results])
                                             for f in ("final", "wagered", "drawdown",
                                                       "rounds", "reason")), 1.0)
    res = montecarlo.run(study)
    for key in ("elapsed_seconds", "bets_per_second"):
        expected.pop(key, None), res.pop(key, None)
    assert res == expected
    assert (res["stop_reasons"]["max_rounds"] < 9000) == ("stop_loss" in limits)


def test_bets_with_more_than_one_payout_are_settled_round_by_round():
    # Red pays 1.47 on 0 and 1.96 on 2, 4, 6, 8: not one bit per round.
    martingale = montecarlo.parse_study(GAME, {"progression": "martingale"}).progression
    assert montecarlo._word_tables(engine.gain_row(GAME, "Red"), martingale) is None
    assert montecarlo._word_tables(engine.gain_row(GAME, "7"), martingale) is not None


@given(wins=st.lists(st.booleans(), min_size=2, max_size=100), seed=st.integers(0, 2**32 - 1))
def test_the_winning_outcomes_are_told_apart_whatever_their_number(wins, seed):
    wins = np.array(wins)
    drawn = np.random.default_rng(seed).integers(0, len(wins), (3, 50), dtype=np.uint8)
    won = montecarlo._winning(wins)(drawn, Workspace())
    assert won.dtype == bool and np.array_equal(won, wins[drawn])
