"""The backtest command: walk-forward replay from Redis or CSV, table and JSON output."""
import argparse
import json

import numpy as np
import pytest

from lottery.config import DEFAULT_GAME
from lottery.commands import backtest as command
from lottery.evaluation import backtest as bt
from lottery.evaluation import scoreboard
from lottery.games import get_game
from lottery.predictors.wingo.base import warm
from lottery.predictors.wingo.registry import COSTS, PREDICTOR_NAMES, build_predictors
from lottery.sources.base import Draw
from lottery.store import draws

GAME = get_game(DEFAULT_GAME)


def parse(*argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


def issues(n, start="20250101100010001"):
    out = [start]
    while len(out) < n:
        out.append(GAME.next_issue(out[-1]))
    return out


def write_csv(path, digits, bad_rows=()):
    lines = ["issue,number"] + [f"{i},{d}" for i, d in zip(issues(len(digits)), digits)]
    lines += list(bad_rows)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_matches_a_hand_rolled_walk_forward():
    digits = [int(d) for d in np.random.default_rng(4).integers(0, 10, 400)]
    totals = bt.replay(GAME, digits, ["markov", "color_rules"])
    # Independently: predict from digits[:i] only, then compare with digits[i].
    markov_hits = color_hits = 0
    for i, d in enumerate(digits):
        m, c = build_predictors(names=["markov", "color_rules"])
        warm(m, digits[:i])
        warm(c, digits[:i])
        markov_hits += m.predict().numbers[0] == d
        color_hits += c.predict().color == ("Green" if d % 2 else "Red")
        if i == 60:
            break
    short = bt.replay(GAME, digits[:61], ["markov", "color_rules"])
    assert short["markov"]["number"].hits == markov_hits
    assert short["color_rules"]["color"].hits == color_hits
    assert set(short["color_rules"]) == {"color"}
    assert totals["markov"]["number"].n == 400 and totals["markov"]["number"].prob_n == 400


def test_two_processes_give_the_same_totals_as_one():
    digits = [int(d) for d in np.random.default_rng(8).integers(0, 10, 600)]
    assert bt.backtest(GAME, digits, jobs=2) == bt.backtest(GAME, digits, jobs=1)
    groups = bt.split(PREDICTOR_NAMES, 2, COSTS)
    assert sorted(n for g in groups for n in g) == sorted(PREDICTOR_NAMES) and len(groups) == 2


def test_csv_backtest_prints_the_scoreboard_json(tmp_path, settings, capsys):
    digits = [int(d) for d in np.random.default_rng(1).integers(0, 10, 300)]
    path = write_csv(tmp_path / "draws.csv", digits, bad_rows=["20250102100010001,x"])
    assert command.run(parse("--csv", str(path), "--json", "--seed", "2"), settings) == 0
    out, err = capsys.readouterr()
    board = json.loads(out)
    assert "line 302" in err  # the bad row is reported, the good ones are used
    assert board["n_draws"] == 300 and board["source"] == str(path)
    expected = scoreboard.build(GAME, bt.backtest(GAME, digits, seed=2))
    assert board["rows"] == expected["rows"]
    assert {row["predictor"] for row in board["rows"]} == set(PREDICTOR_NAMES)


def test_redis_backtest_prints_a_table_for_one_predictor(r, settings, capsys):
    digits = [int(d) for d in np.random.default_rng(6).integers(0, 10, 120)]
    draws.add_draws(r, GAME, [Draw(GAME.code, i, d) for i, d in zip(issues(120), digits)], 1000)
    assert command.run(parse("--predictor", "markov", "--limit", "100"), settings) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("markov ")]
    assert len(rows) == 4 and "100 draws replayed" in out
    hits = bt.replay(GAME, digits[-100:], ["markov"])["markov"]["number"].hits
    assert rows[0].split()[3] == str(hits)
    assert "no evidence of an edge" in out


def test_progress_bar_on_long_runs(tmp_path, settings, capsys, monkeypatch):
    monkeypatch.setattr(command, "PROGRESS_MIN", 50)
    path = write_csv(tmp_path / "d.csv", [i % 10 for i in range(80)])
    assert command.run(parse("--csv", str(path), "--predictor", "random", "--json"), settings) == 0
    out, err = capsys.readouterr()
    assert "backtest WinGo_1M" in err and "80/80" in err
    json.loads(out)  # the bar never pollutes the JSON


def test_failures_have_clear_exit_codes(tmp_path, settings, r, capsys):
    assert command.run(parse("--csv", str(tmp_path / "missing.csv")), settings) == 2
    assert "no such file" in capsys.readouterr().err
    assert command.run(parse(), settings) == 1  # nothing stored yet
    assert "no draws" in capsys.readouterr().err
    offline = settings.with_(redis_url=None, data_dir=tmp_path / "nowhere")
    assert command.run(parse(), offline) == 2
    assert "--csv" in capsys.readouterr().err
    # Predictor names depend on the game, so they are checked once the game is known.
    assert command.run(parse("--predictor", "crystal_ball"), settings) == 2
    assert "unknown predictor(s) crystal_ball" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("--limit", "0")


def test_the_vectorised_digit_scorer_agrees_with_scoring_one_by_one(monkeypatch):
    digits = [int(d) for d in np.random.default_rng(12).integers(0, 10, 500)]
    fast = bt.replay(GAME, digits, seed=3)
    monkeypatch.setattr(type(GAME), "backtest_scorer_path", "")  # the generic path
    slow = bt.replay(GAME, digits, seed=3)
    for name in fast:
        for market, totals in fast[name].items():
            other = slow[name][market]
            assert (totals.n, totals.hits, totals.prob_n) == (other.n, other.hits, other.prob_n)
            # Micro-unit sums: each prediction rounded once vs the sum rounded once.
            assert abs(totals.ll - other.ll) <= totals.prob_n and \
                abs(totals.brier - other.brier) <= totals.prob_n
            assert totals.streaks == other.streaks, (name, market)
