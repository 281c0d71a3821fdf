"""Powerball on the game-family seam: simulated draws on the real calendar, worker, API, CSV, backtest."""
from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timezone

import pytest

from clock import FakeClock
from lottery.commands import backtest as backtest_command
from lottery.games import get_game
from lottery.games.pick import POWERBALL, PickOutcome
from lottery.games.pick_csv import format_row, header_of
from lottery.sources.csv_source import read_csv
from lottery.sources.simulated import SimulatedSource
from lottery.store import draws
from lottery.worker import Worker, build_source

# Tuesday 2026-01-06 12:00 UTC: the last draw was Monday 2026-01-05 22:59 New York.
START = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def pb(settings):
    return settings.with_(games=("Powerball",))


def test_powerball_and_euromillions_are_registered_and_followed_by_default():
    from lottery.config import Settings

    assert get_game("Powerball") is POWERBALL and get_game("EuroMillions").code == "EuroMillions"
    assert "Powerball" in Settings.from_env({}, dotenv=False).games


def test_backfill_stays_in_the_current_era_and_follows_the_calendar():
    source = SimulatedSource("s", backfill=100_000)
    until = POWERBALL.last_settled_issue(START)
    assert until == "2026-01-05"
    got = source.fetch(POWERBALL, None, until, START)
    assert got[0].issue == "2015-10-07" == POWERBALL.history_start()
    assert all(POWERBALL.schedule.is_draw_day(date.fromisoformat(d.issue)) for d in got)
    assert len(got) == POWERBALL.issue_ordinal(until) - POWERBALL.issue_ordinal("2015-10-07") + 1
    assert all(d.outcome.era == date(2015, 10, 7) for d in got)
    assert len(SimulatedSource("s", backfill=30).fetch(POWERBALL, None, until, START)) == 30


def test_the_era_travels_with_the_stored_record():
    old = POWERBALL.parse_outcome([1, 2, 3, 4, 5, 39], "2011-01-01")
    rec = POWERBALL.encode_outcome(old)
    assert rec["era"] == "2009-01-07"
    back = POWERBALL.decode_outcome(rec)
    assert isinstance(back, PickOutcome) and back.era == date(2009, 1, 7) and back == old
    # Scored without an issue, the ticket is judged by the draw's own era, not the current one.
    ticket = POWERBALL.normalise_prediction({"whites": [1, 2, 3, 10, 11], "bonus": [20]})
    assert POWERBALL.score(ticket, back)["white_match"][0] == 1
    em = get_game("EuroMillions")
    two = em.parse_outcome({"whites": [1, 2, 40, 41, 42], "bonus": [5, 6]}, "2011-05-06")
    pick = em.normalise_prediction({"whites": [1, 2, 3, 4, 5], "bonus": [7, 8]})
    assert em.score(pick, two)["prize"][0] == 0  # 2+0 paid nothing before 2011-05-10
    two_new = em.parse_outcome({"whites": [1, 2, 40, 41, 42], "bonus": [5, 6]}, "2011-05-10")
    assert em.score(pick, two_new)["prize"][0] == 1


def test_powerball_runs_through_worker_scoreboard_and_api(pb, r):
    from lottery.web import close_app, create_app

    clock = FakeClock(START)
    worker = Worker(pb, r, build_source(pb, r), clock=clock)
    worker.run(max_iterations=1)
    assert draws.count(r, "Powerball") == 50
    # The committed tickets for the open draw exist before it is drawn.
    from lottery.store import scores

    open_issue = POWERBALL.issue_at(clock.now())
    assert open_issue == "2026-01-07"
    committed = {m: scores.get_prediction(r, "Powerball", open_issue, m)
                 for m in ("random", "frequency", "hybrid")}
    assert all(len(t["whites"]) == 5 and len(t["bonus"]) == 1 for t in committed.values())
    clock.t = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)  # four more draws: Wed, Sat, Mon, Wed
    worker.run(max_iterations=1)
    assert draws.count(r, "Powerball") == 54
    app = create_app(pb, r)
    try:
        client = app.test_client()
        report = client.get("/api/prediction?game=Powerball").json
        assert report["next_issue"] == "2026-01-17"
        assert set(report["tickets"]) == set(POWERBALL.predictors().names)
        assert report["odds"]["jackpot_one_in"] == 292_201_338
        history = client.get("/api/history?game=Powerball&per_page=3").json
        assert history["total"] == 54 and history["items"][0]["issue"] == "2026-01-14"
        assert len(history["items"][0]["whites"]) == 5
        board = client.get("/api/accuracy?game=Powerball").json
        rows = {(row["predictor"], row["market"]): row for row in board["rows"]}
        assert rows[("random", "white_match")]["n"] == 1  # only 01-07 had committed tickets
        assert rows[("hybrid", "prize")]["chance"] == pytest.approx(1 / 24.87, rel=1e-3)
        assert rows[("hybrid", "prize")]["verdict"] == "too few draws to judge"
        audit = client.get("/api/audit?game=Powerball").json
        assert audit["tests"]["white_frequency"]["n"] == 54
        assert audit["tests"]["era"]["matrix"] == "5/69 + 1/26"
        proof = client.get("/api/fairness/2026-01-14?game=Powerball").json
        assert proof["verified"] and proof["chain_link_matches"]
        assert proof["recomputed_whites"] == history["items"][0]["whites"]
        assert client.get("/api/fairness/2026-01-13?game=Powerball").status_code == 400
    finally:
        assert close_app(app)


def _write_csv(path, fmt, rows):
    lines = [",".join(header_of(fmt, POWERBALL))]
    lines += [",".join(format_row(fmt, POWERBALL, issue, outcome)) for issue, outcome in rows]
    path.write_text("\n".join(lines) + "\n")


def _fair_rows(n, start="2023-01-02"):
    source = SimulatedSource("csv-secret")
    first = POWERBALL.issue_ordinal(start)
    return [(d.issue, d.outcome) for d in
            (source.draw(POWERBALL, POWERBALL.issue_from_ordinal(first + k)) for k in range(n))]


@pytest.mark.parametrize("fmt", ["winning_numbers", "columns", "balls"])
def test_csv_import_detects_each_format(tmp_path, fmt):
    rows = _fair_rows(40)
    path = tmp_path / "pb.csv"
    _write_csv(path, fmt, rows)
    got, problems = read_csv(path, POWERBALL, now=START)
    assert problems == [] and [(d.issue, d.outcome) for d in got] == rows
    assert all(d.outcome.era == date(2015, 10, 7) and d.source == "csv" for d in got)


def test_csv_errors_are_line_numbered_and_nothing_is_taken(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Draw Date,Winning Numbers,Multiplier\n01/03/2024,01 02 03 04 05 06,2\n"
                    "01/04/2024,01 02 03 04 05 06,2\n01/06/2024,01 02 03 04 70 06,\n"
                    "01/08/2024,01 02 03 04 05 06,\n01/08/2024,01 02 03 04 05 07,\n")
    got, problems = read_csv(path, POWERBALL, now=START)
    assert got == []
    assert [line for line, _ in problems] == [3, 4, 6]
    assert "not a draw date" in problems[0][1] and "1-69" in problems[1][1]
    assert "duplicate" in problems[2][1]


def test_backtest_command_on_a_powerball_csv(tmp_path, settings, capsys):
    path = tmp_path / "pb.csv"
    _write_csv(path, "winning_numbers", _fair_rows(120))
    parser = argparse.ArgumentParser()
    backtest_command.add_arguments(parser)
    args = parser.parse_args(["--game", "Powerball", "--csv", str(path), "--json", "--jobs", "1"])
    assert backtest_command.run(args, settings) == 0
    board = json.loads(capsys.readouterr().out)
    rows = {(row["predictor"], row["market"]): row for row in board["rows"]}
    assert rows[("random", "white_match")]["n"] == 120
    assert {p for p, _ in rows} == set(POWERBALL.predictors().names)
    assert all(row["verdict"] in ("no evidence of an edge", "too few draws to judge")
               or "chance" in row["verdict"] for row in board["rows"])


def test_the_readme_check_script_recomputes_a_powerball_draw(pb, r, monkeypatch, capsys):
    import io
    import re
    import urllib.request
    from pathlib import Path

    from lottery.web import close_app, create_app

    Worker(pb, r, build_source(pb, r), clock=FakeClock(datetime(2026, 1, 15, 12, tzinfo=timezone.utc))
           ).run(max_iterations=1)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    script = re.search(r"<!-- pick-check -->\n```python\n(.*?)```", readme, re.S).group(1)
    app = create_app(pb, r)
    try:
        client = app.test_client()

        def urlopen(url):
            path = url.split("127.0.0.1:5000", 1)[1]
            return io.BytesIO(client.get(path).data)

        monkeypatch.setattr(urllib.request, "urlopen", urlopen)
        exec(compile(script, "README", "exec"), {})
        assert capsys.readouterr().out.startswith("verified [")
    finally:
        assert close_app(app)


def test_the_bot_texts_of_a_pick_lottery(pb, r):
    from lottery.bot import texts
    from lottery.store import predictions
    from lottery.store.predictions import read_report
    from lottery.sources.simulated import verify_draw

    clock = FakeClock(START)
    worker = Worker(pb, r, build_source(pb, r), clock=clock)
    worker.run(max_iterations=1)
    clock.t = datetime(2026, 1, 8, 12, 0, tzinfo=timezone.utc)
    worker.run(max_iterations=1)
    family = texts.family_texts("Powerball")
    report = json.loads(read_report(r, "Powerball"))
    previous = predictions.get_prediction(r, "Powerball", "2026-01-07")
    drawn, hits = family.settled(previous)
    assert set(hits) == {"white_match", "bonus_match", "prize"}
    text = family.prediction_text(report, previous, (1, 2, 0), now=clock.now())
    assert "draw 2026-01-10" in text and "1 in 292,201,338" in text and "Last 2026-01-07" in text
    record = draws.get_draw(r, "Powerball", "2026-01-07")
    proof = family.fair_text("Powerball", record, verify_draw(record, "Powerball"),
                             POWERBALL.fair_formula())
    assert proof.endswith("Verified") and "matches: yes" in proof
    history = family.history_text("Powerball", [record], {"2026-01-07": previous})
    assert "our ticket" in history
