"""Crash's probability checks: calibration tables, the streak against the geometric with a
paired test, in the backtest --json and in the live report."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from clock import FakeClock
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats

from lottery.commands import backtest as command
from lottery.evaluation import crash_eval
from lottery.games import get_game
from lottery.games.crash import sample_multipliers
from lottery.predictors.crash import PREDICTOR_SET
from lottery.store import predictions
from lottery.sources.crash_feed import round_seconds
from lottery.worker import Worker, build_source

GAME = get_game("Crash")


def biased(n: int, seed: int) -> list[float]:
    """Rounds where 10x comes 15% of the time instead of 9.9%."""
    rng = np.random.default_rng(seed)
    return np.round(np.where(rng.random(n) < 0.15, 10 + rng.random(n),
                             1 + rng.random(n) * 8.99), 2).tolist()


@hsettings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=3, max_size=200))
def test_paired_tests_agree_with_scipy_and_with_running_sums(d):
    d = np.array(d)
    got = crash_eval.paired_test(d)
    assert got["n"] == len(d)
    if d.std(ddof=1) > 1e-6:
        want = stats.ttest_1samp(d, 0.0)
        assert got["p_t"] == pytest.approx(want.pvalue, rel=1e-6, abs=1e-12)
        sums = crash_eval.paired_from_sums(len(d), float(d.sum()), float((d * d).sum()))
        assert sums["p_t"] == pytest.approx(got["p_t"], rel=1e-4, abs=1e-9)
        assert sums["mean_diff"] == pytest.approx(got["mean_diff"])


def test_calibration_bins_count_every_forecast_by_its_ratio_to_chance():
    rows = crash_eval.table("reach_2x", [0, 0, 3, 0, 5, 0, 0, 2], [0, 0, 1, 0, 2, 0, 0, 2],
                            [0, 0, 1.35, 0, 2.5, 0, 0, 1.4])
    assert [r["n"] for r in rows] == [3, 5, 2]
    assert rows[0]["bin"] == [pytest.approx(0.9 * 0.495), pytest.approx(0.95 * 0.495)]
    assert rows[1]["observed"] == 0.4 and rows[1]["mean_forecast"] == 0.5
    assert rows[2]["bin"][1] is None and rows[2]["ci95"][1] == 1.0
    assert list(crash_eval.bin_of([0.0, 0.495, 0.52, 0.9], 0.495)) == [0, 4, 5, 7]


def test_fair_rounds_show_no_better_streak_forecast_and_a_biased_generator_does():
    fair = crash_eval.evaluate(GAME, sample_multipliers(np.random.default_rng(2), 30_000).tolist())
    assert fair["rounds"] == 30_000 and set(fair["predictors"]) == set(PREDICTOR_SET.names)
    null = fair["predictors"]["null"]
    # The null is the geometric: no differences, one calibration bin per market (ratio 1).
    assert null["streak_10x"]["paired_vs_geometric"]["mean_diff"] == 0
    assert all(len(rows) == 1 and rows[0]["n"] == 30_000 for rows in null["calibration"].values())
    for name, body in fair["predictors"].items():
        assert "lower log loss" not in body["streak_10x"]["verdict"], name
        for rows in body["calibration"].values():
            assert sum(r["n"] for r in rows) == 30_000
    assert set(fair["predictors"]["gbm"]["calibration"]) == {"reach_10x"}
    skew = crash_eval.evaluate(GAME, biased(30_000, 3), ["frequency", "gbm"])
    for name in ("frequency", "gbm"):
        streak = skew["predictors"][name]["streak_10x"]
        assert streak["paired_vs_geometric"]["mean_diff"] < 0
        assert streak["paired_vs_geometric"]["p_wilcoxon"] < 0.01
        assert streak["verdict"].startswith("lower log loss than the geometric"), name
        assert streak["log_loss"] < streak["geometric_log_loss"]


def test_backtest_json_carries_the_evaluation(tmp_path, settings, capsys):
    path = tmp_path / "rounds.csv"
    xs = biased(6000, 4)
    path.write_text("round_id,multiplier\n" + "".join(f"{i},{x:.2f}\n"
                                                     for i, x in enumerate(xs, 1)))
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["--game", "Crash", "--csv", str(path), "--json", "--jobs", "1"])
    assert command.run(args, settings) == 0
    board = json.loads(capsys.readouterr().out)
    ev = board["evaluation"]
    assert ev["rounds"] == 6000 and set(ev["predictors"]) == set(PREDICTOR_SET.names)
    assert "ln X" in ev["next_multiplier"]
    cal = ev["predictors"]["frequency"]["calibration"]["reach_10x"]
    assert sum(r["n"] for r in cal) == 6000
    # The streak rows of the board and of the evaluation score the same rounds.
    rows = {(r["predictor"], r["market"]): r for r in board["rows"]}
    streak = ev["predictors"]["frequency"]["streak_10x"]
    assert streak["paired_vs_geometric"]["n"] == rows[("frequency", "streak_10x")]["n"]
    assert streak["log_loss"] == pytest.approx(rows[("frequency", "streak_10x")]["log_loss"],
                                               rel=1e-5)


def test_the_live_report_keeps_calibration_and_the_streak_test(settings, r):
    crash = settings.with_(games=("Crash",), sim_backfill=300)
    clock = FakeClock()
    worker = Worker(crash, r, build_source(crash, r), clock=clock)
    worker.run(max_iterations=1)
    for _ in range(40):  # live rounds: each prediction is resolved by the next round
        clock.advance(round_seconds(100.0))
        worker.run(max_iterations=1)
    report = json.loads(predictions.read_report(r, "Crash"))
    n = report["accuracy"]["reach_2x"]["n"]
    assert n >= 5
    checks = report["probability_checks"]
    assert sum(row["n"] for row in checks["calibration"]["reach_2x"]) == n
    streak = checks["streak_10x"]
    assert 1 <= streak["paired_vs_geometric"]["n"] <= n
    assert streak["log_loss"] > 0 and streak["geometric_log_loss"] > 0


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([1.0, 1.5, 1.99, 2.0, 9.99, 10.0, 55.5, 100.0, 250.0]),
                max_size=80), st.sampled_from([2.0, 10.0, 100.0]))
def test_the_reports_vectorised_streaks_match_the_game_rules(xs, threshold):
    from lottery.games.crash import streak_lengths
    from lottery.reports.crash import streak_block

    lengths, run = streak_lengths(xs, threshold)
    block = streak_block(xs, threshold)
    assert (block["completed"], block["current_run"], block["recent_lengths"]) == \
        (len(lengths), run, lengths[-20:])
    assert block["longest"] == (max(lengths) if lengths else None)
