"""Crash on the seam: the simulated provably fair feed, the worker, the API, verify, CSV import."""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
from datetime import datetime

import pytest

from clock import FakeClock
from conftest import close_app, make_app
from lottery import keys
from lottery.commands import backtest as backtest_command
from lottery.commands import import_csv
from lottery.commands import verify as verify_command
from lottery.games import get_game
from lottery.games.crash import hash_to_terminal
from lottery.sources.crash_feed import CrashFeed, round_seconds
from lottery.sources.csv_source import read_csv
from lottery.store import draws, scores
from lottery.worker import Worker, build_source

GAME = get_game("Crash")
SECRET = "test-secret"


@pytest.fixture
def crash(settings):
    return settings.with_(games=("Crash",))


def _v2(round_hash: str, salt: str) -> float:
    """The README's check, written independently of lottery.games.crash."""
    h = hmac.new(salt.encode(), bytes.fromhex(round_hash), hashlib.sha256).hexdigest()
    r = int(h[:13], 16)
    return max(1.0, (99 * 2 ** 52 // (2 ** 52 - r)) / 100)


def _run(crash, r, seconds: float, clock: FakeClock | None = None):
    clock = clock or FakeClock()
    worker = Worker(crash, r, build_source(crash, r), clock=clock)
    start = clock.now()
    iterations = 0
    while (clock.now() - start).total_seconds() < seconds:
        worker.run(max_iterations=1)
        iterations += 1
    return worker, clock


def test_first_start_backfills_paced_rounds_and_publishes_the_final_hash_first(crash, r):
    clock = FakeClock()
    _run(crash, r, 1, clock)
    feed = {k.decode(): v.decode() for k, v in r.hgetall(keys.feed_info("Crash")).items()}
    assert feed["salt"] == GAME.salt and feed["profile"] == "bustabit_v2"
    rows = sorted(draws.recent_draws(r, "Crash", 100), key=lambda d: int(d["issue"]))
    assert [d["issue"] for d in rows] == [str(n) for n in range(1, 51)]
    # Round 1's hash walks one step to the published final hash; each round links to the last.
    assert hash_to_terminal(rows[0]["seed"], 1) == feed["terminal:0"]
    for before, after in zip(rows, rows[1:]):
        assert after["commitment"] == before["seed"]
        gap = (datetime.fromisoformat(after["drawn_at"])
               - datetime.fromisoformat(before["drawn_at"])).total_seconds()
        assert gap == pytest.approx(round_seconds(after["multiplier"]), abs=1e-3)
        assert after["multiplier"] == _v2(after["seed"], GAME.salt)
    assert datetime.fromisoformat(rows[-1]["drawn_at"]) <= clock.now()
    assert round_seconds(1.0) == 8.0 and round_seconds(10.0) == pytest.approx(46.38, abs=0.01)


def test_rounds_are_predicted_before_they_end_and_scored_after(crash, r):
    worker, clock = _run(crash, r, 1)
    latest = draws.latest_issue(r, "Crash")
    nxt = GAME.next_issue(latest)
    recorded = scores.get_prediction(r, "Crash", nxt, "null")
    assert recorded is not None and "reach_p" in recorded
    assert r.hget(keys.commitments("Crash"), nxt).decode() == draws.get_draw(r, "Crash", latest)["seed"]
    # Nothing in Redis lets anyone compute the open round: its hash appears nowhere.
    feed = CrashFeed(SECRET, GAME, r)
    secret_hash = feed.seed(GAME, nxt)
    for key in r.scan_iter(count=1000):
        kind = r.type(key).decode()
        blob = (repr(r.hgetall(key)) if kind == "hash" else repr(r.get(key)) if kind == "string"
                else "")
        assert secret_hash not in blob and SECRET not in blob, key
    for _ in range(200):  # until the open round has ended (at most a 100x-long flight)
        clock.advance(1)
        worker.run(max_iterations=1)
        if draws.get_draw(r, "Crash", nxt):
            break
    settled = draws.get_draw(r, "Crash", nxt)
    assert settled["seed"] == secret_hash
    board = scores.scoreboard(r, "Crash")
    null_2x = next(row for row in board["rows"]
                   if row["predictor"] == "null" and row["market"] == "reach_2x")
    assert null_2x["n"] >= 1 and null_2x["chance"] == pytest.approx(0.495)


def test_api_serves_crash_history_report_accuracy_audit_and_fairness(crash, r):
    _run(crash, r, 1)
    app = make_app(crash, r)
    try:
        c = app.test_client()
        hist = c.get("/api/history?game=Crash&per_page=3").json
        assert hist["total"] == 50 and hist["items"][0]["issue"] == "50"
        assert hist["items"][0]["display"].endswith("x")
        report = c.get("/api/prediction?game=Crash").json
        assert report["next_issue"] == "51" and report["predictor"] == "ensemble"
        reach = {row["market"]: row for row in report["prediction"]["reach"]}
        assert reach["reach_10x"]["chance"] == pytest.approx(0.099)
        assert set(report["streaks"]) == {"2x", "10x", "100x"}
        assert report["streaks"]["10x"]["chance_next_round"] == 9.9
        assert c.get("/api/accuracy?game=Crash").status_code == 200
        audit = c.get("/api/audit?game=Crash").json["tests"]
        assert set(audit) == {"distribution", "runs_2x", "ljung_box", "streaks_10x"}
        proof = c.get("/api/fairness/7?game=Crash").json
        assert proof["verified"] and proof["terminal_matches"] and proof["chain_position"] == 7
        assert proof["multiplier"] == _v2(proof["hash"], proof["salt"])
        assert proof["commitment"] == proof["previous_seed"]
        pending = c.get("/api/fairness/51?game=Crash").json
        assert pending["status"] == "pending" and pending["commitment"] == \
            c.get("/api/fairness/50?game=Crash").json["seed"]
        bad = c.get("/api/fairness/abc?game=Crash")
        assert bad.status_code == 400 and bad.json["error"] == "bad_issue"
    finally:
        close_app(app)


def test_verify_command_recomputes_a_round_and_catches_tampering(crash, r, capsys):
    _run(crash, r, 1)
    ns = argparse.Namespace(issue="12", game="Crash")
    assert verify_command.run(ns, crash) == 0
    out = capsys.readouterr().out
    assert "terminal matches: yes" in out and "VERIFIED" in out
    record = json.loads(r.hget(keys.draws_data("Crash"), "12"))
    record["multiplier"] = 1234.56
    r.hset(keys.draws_data("Crash"), "12", json.dumps(record))
    assert verify_command.run(ns, crash) == 1
    assert "NOT VERIFIED" in capsys.readouterr().out


BAD_ROWS = [("abc", "not a multiplier"), ("0.99", "at least 1.00"), ("nan", "not a multiplier"),
            ("99999999999", "absurdly large"), ("-2", "not a multiplier")]


def test_csv_rows_are_validated_with_line_numbers(tmp_path):
    lines = ["round_id,multiplier,time", "1,2.50,2026-01-01T00:00:10Z", "2,1.00,"]
    lines += [f"{3 + i},{value}," for i, (value, _) in enumerate(BAD_ROWS)]
    lines += ["2,3.00,"]  # a duplicate id
    path = tmp_path / "rounds.csv"
    path.write_text("\n".join(lines) + "\n")
    good, problems = read_csv(path, GAME)
    assert [(d.issue, d.outcome) for d in good] == [("1", 2.5), ("2", 1.0)]
    assert good[0].drawn_at == "2026-01-01T00:00:10+00:00"
    found = dict(problems)
    for i, (_, reason) in enumerate(BAD_ROWS):
        assert reason in found[4 + i]
    assert "duplicate issue 2" in found[len(lines)]


def test_import_csv_stores_good_rounds_once_and_backtest_reads_the_same_format(crash, r, tmp_path,
                                                                               capsys):
    import numpy as np

    from lottery.games.crash import sample_multipliers

    xs = sample_multipliers(np.random.default_rng(5), 400)
    path = tmp_path / "rounds.csv"
    path.write_text("round_id,multiplier\n" + "".join(f"{1000 + i},{x:.2f}\n"
                                                      for i, x in enumerate(xs)) + "1000,7\n")
    parser = argparse.ArgumentParser()
    import_csv.add_arguments(parser)
    assert import_csv.run(parser.parse_args([str(path), "--game", "Crash"]), crash) == 0
    captured = capsys.readouterr()
    assert f"line {402}: duplicate issue 1000" in captured.err
    assert draws.count(r, "Crash") == 400
    assert import_csv.run(parser.parse_args([str(path), "--game", "Crash"]), crash) == 0
    assert draws.count(r, "Crash") == 400 and "0 new draws" in capsys.readouterr().out
    parser = argparse.ArgumentParser()
    backtest_command.add_arguments(parser)
    args = parser.parse_args(["--game", "Crash", "--csv", str(path), "--json", "--jobs", "1"])
    assert backtest_command.run(args, crash) == 0
    board = json.loads(capsys.readouterr().out)
    rows = {(row["predictor"], row["market"]): row for row in board["rows"]}
    assert rows[("null", "reach_2x")]["n"] == 400
    assert rows[("null", "reach_2x")]["hits"] == int((xs >= 2).sum())
    assert all(row["verdict"] != "edge" for row in board["rows"])
