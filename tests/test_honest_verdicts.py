"""Issue 15's done-when: real predictor hits on fair draws are rarely ever labelled, read after
every draw; the backtest command labels no row of 20,000 fair WinGo draws edge or worse and
still finds a planted edge.

Families: WinGo's predictors walk forward here. Crash and pick lotteries have rules modules
only (no predictor set yet), so their markets are covered by the Bernoulli paths of
tests/test_sequential.py at their chance rates; add them here when their predictors land.
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np

from lottery.commands import backtest as command
from lottery.evaluation import backtest as bt
from lottery.evaluation import scoreboard
from lottery.evaluation import sequential as seq
from lottery.evaluation.wingo_backtest import DigitScorer
from lottery.games import get_game

GAME = get_game("WinGo_1M")
SEQUENCES = 150  # fair histories, each replayed by every WinGo predictor
DRAWS = 1_000


class CapturingScorer(DigitScorer):
    """The backtest's scorer, keeping each predictor's hit path (oldest first)."""

    paths: list[dict[str, np.ndarray]] = []

    def totals(self):
        CapturingScorer.paths.append({m: np.concatenate(v) if v else np.zeros(0, bool)
                                      for m, v in self.hits.items()})
        return super().totals()


def hit_paths(monkeypatch, digits, seed) -> dict[tuple[str, str], np.ndarray]:
    """Return the walk-forward hit path of every (predictor, market) over `digits`."""
    monkeypatch.setattr(type(GAME), "backtest_scorer", lambda self: CapturingScorer)
    CapturingScorer.paths = []
    totals = bt.replay(GAME, digits, seed=seed)
    out = {}
    for name, paths in zip(totals, CapturingScorer.paths):
        for market, path in paths.items():
            if path.size:
                out[(name, market)] = path
                assert path.sum() == totals[name][market].hits  # the same record
    return out


def test_real_predictor_hits_on_fair_draws_are_rarely_ever_labelled(monkeypatch):
    rng = np.random.default_rng(15)
    crits: dict = {}
    boards_labelled = rows_labelled = rows_total = 0
    for s in range(SEQUENCES):
        paths = hit_paths(monkeypatch, rng.integers(0, 10, DRAWS).tolist(), seed=s)
        alpha = seq.row_alpha(len(paths))  # the rows shown together on this board
        labelled = False
        for (name, market), path in paths.items():
            m = GAME.market(market)
            key = (market, alpha, path.size)
            if key not in crits:
                crits[key] = seq.critical_counts(path.size, m.chance, m.break_even, alpha)
            crit = crits[key]
            k = np.cumsum(path)  # the record after every draw, read after every draw
            ever = ((k >= crit["edge"][1:]) | (k >= crit["better"][1:])
                    | (k <= crit["worse"][1:])).any()
            labelled |= bool(ever)
            rows_labelled += bool(ever)
            rows_total += 1
        boards_labelled += labelled
    # Any false label anywhere on a board, at any moment: at most ALPHA (plus 3 standard errors).
    limit = seq.ALPHA + 3 * math.sqrt(seq.ALPHA * (1 - seq.ALPHA) / SEQUENCES)
    assert boards_labelled / SEQUENCES <= limit, (boards_labelled, SEQUENCES)
    assert rows_total >= SEQUENCES * 20  # every predictor and market took part
    assert rows_labelled / rows_total <= limit


def _run_backtest(tmp_path, settings, capsys, digits) -> dict:
    path = tmp_path / "draws.csv"
    issue, lines = "20250101100010001", ["issue,number"]
    for d in digits:
        lines.append(f"{issue},{d}")
        issue = GAME.next_issue(issue)
    path.write_text("\n".join(lines) + "\n")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["--csv", str(path), "--json", "--jobs", "2"])
    assert command.run(args, settings) == 0
    return json.loads(capsys.readouterr().out)


def test_backtest_of_20000_fair_draws_labels_no_row_edge_or_worse(tmp_path, settings, capsys):
    digits = np.random.default_rng(20_000).integers(0, 10, 20_000).tolist()
    board = _run_backtest(tmp_path, settings, capsys, digits)
    assert board["n_draws"] == 20_000 and len(board["rows"]) >= 20
    labels = {row["verdict"] for row in board["rows"]}
    assert labels == {scoreboard.NO_EDGE}, labels
    for row in board["rows"]:
        assert row["power"].startswith("With n = ")
        assert row["anytime_ci"][0] <= row["chance"] <= row["anytime_ci"][1]


def test_backtest_with_digit_7_at_28_percent_still_finds_the_edge(tmp_path, settings, capsys):
    p = np.full(10, 0.72 / 9)
    p[7] = 0.28
    digits = np.random.default_rng(28).choice(10, 20_000, p=p).tolist()
    board = _run_backtest(tmp_path, settings, capsys, digits)
    rows = {(row["predictor"], row["market"]): row for row in board["rows"]}
    found = [k for k, row in rows.items() if row["verdict"] == scoreboard.EDGE]
    assert ("markov", "number") in found and ("ensemble", "number") in found
    assert rows[("markov", "number")]["anytime_ci"][0] > rows[("markov", "number")]["break_even"]
    assert all(rows[k]["verdict"] != scoreboard.EDGE for k in rows if k[0] == "random")
