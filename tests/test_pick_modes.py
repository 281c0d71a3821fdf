"""Ticket modes: walk-forward, seeded, honest verdicts on fair and on biased draws."""
from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timezone

import pytest

from lottery.commands import backtest as backtest_command
from lottery.games.pick import POWERBALL
from lottery.games.pick_csv import format_row, header_of
from lottery.predictors.pick import MODES
from lottery.sources.simulated import SimulatedSource

TODAY = datetime(2026, 1, 6, 12, tzinfo=timezone.utc)
VERDICT_GOOD = ("better than chance", "edge")


def _era_dates():
    first = POWERBALL.issue_ordinal(POWERBALL.history_start())
    last = POWERBALL.issue_ordinal(POWERBALL.last_settled_issue(TODAY))
    return [POWERBALL.issue_from_ordinal(o) for o in range(first, last + 1)]


def _biased(issue, rng, hot=7, weight=3.6):
    pool = list(range(1, 70))
    weights = [weight if b == hot else 1.0 for b in pool]
    picked = []
    for _ in range(5):
        i = rng.choices(range(len(pool)), weights=weights)[0]
        picked.append(pool.pop(i))
        weights.pop(i)
    return tuple(sorted(picked)), (rng.randint(1, 26),)


def _backtest(tmp_path, settings, capsys, rows, modes=()):
    path = tmp_path / "draws.csv"
    lines = [",".join(header_of("winning_numbers", POWERBALL))]
    lines += [",".join(format_row("winning_numbers", POWERBALL, i, o)) for i, o in rows]
    path.write_text("\n".join(lines) + "\n")
    parser = argparse.ArgumentParser()
    backtest_command.add_arguments(parser)
    args = parser.parse_args(["--game", "Powerball", "--csv", str(path), "--json", "--jobs", "1",
                              *[f"--predictor={m}" for m in modes]])
    assert backtest_command.run(args, settings) == 0
    return {(row["predictor"], row["market"]): row for row in json.loads(capsys.readouterr().out)["rows"]}


def test_on_fair_draws_of_the_whole_era_no_mode_is_better_than_chance(tmp_path, settings, capsys):
    source = SimulatedSource("fair-era")
    dates = _era_dates()
    assert 1_200 <= len(dates) <= 1_400
    rows = _backtest(tmp_path, settings, capsys,
                     [(d, source.draw(POWERBALL, d).outcome) for d in dates])
    assert rows[("random", "white_match")]["n"] == len(dates)
    assert not [k for k, row in rows.items() if row["verdict"] in VERDICT_GOOD]
    # The mean of every mode's white-match rate sits near the exact chance 0.3162.
    assert {p for p, _ in rows} == set(MODES) >= {"random_forest", "gradient_boosting"}
    for mode in MODES:
        assert abs(rows[(mode, "white_match")]["hit_rate"] - 0.3162) < 0.06


def test_on_draws_with_one_hot_ball_the_frequency_mode_is_better_than_chance(tmp_path, settings,
                                                                              capsys):
    rng = random.Random(14)
    dates = _era_dates()
    draws = [(d, _biased(d, rng)) for d in dates]
    share = sum(7 in w for _, (w, _) in draws) / len(draws)
    assert 3 * 5 / 69 * 0.85 < share < 3 * 5 / 69 * 1.15  # ball 7 comes about 3x as often
    rows = _backtest(tmp_path, settings, capsys, draws, ("random", "frequency", "hybrid"))
    assert rows[("frequency", "white_match")]["verdict"] == "better than chance"
    assert rows[("random", "white_match")]["verdict"] not in VERDICT_GOOD
    # Still no money: the prize market cannot pay, so it is never an "edge".
    assert all(row["verdict"] != "edge" for row in rows.values())


def test_modes_are_walk_forward_and_seeded():
    modes = POWERBALL.predictors().build(seed=5)
    again = POWERBALL.predictors().build(seed=5)
    source = SimulatedSource("wf")
    for d in _era_dates()[:60]:
        outcome = source.draw(POWERBALL, d).outcome
        first = [m.predict().to_dict() for m in modes]
        assert first == [m.predict().to_dict() for m in again]  # same history, same ticket
        for m in modes + again:
            m.update(outcome)
    t = modes[1].predict()
    assert len(set(t.whites)) == 5 and 1 <= t.bonus[0] <= 26
    with pytest.raises(KeyError, match="unknown mode"):
        POWERBALL.predictors().build(names=["lstm"])


def test_ml_modes_learn_only_from_earlier_draws():
    from lottery.predictors.pick import ml

    source = SimulatedSource("ml")
    outs = [source.draw(POWERBALL, d).outcome for d in _era_dates()[:160]]
    a, b = (POWERBALL.predictors().build(names=["random_forest"])[0] for _ in range(2))
    for o in outs[:150]:
        a.update(o)
        b.update(o)
    before = a.predict()
    assert before == b.predict()  # seeded: the same history gives the same ticket
    # The model fitted for the next draw saw exactly the 150 draws before it.
    assert a.fitted_at == 150 and len(a.history) <= ml.TRAIN_DRAWS + ml.LONG + 1
    b.update(outs[150])  # one more draw changes the features, not the fitted model's past
    assert b.fitted_at == 150
