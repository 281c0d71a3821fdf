"""The bot's crash messages: multipliers, the chance next to the predictor's odds, the proof."""
from __future__ import annotations

import json
from datetime import timedelta

from clock import FakeClock
from lottery.bot import texts
from lottery.games import get_game
from lottery.sources.simulated import verify_draw
from lottery.store import draws, predictions
from lottery.store.predictions import read_report
from lottery.worker import Worker, build_source


def test_the_bot_texts_of_a_crash_game(settings, r):
    crash = settings.with_(games=("Crash",), sim_backfill=100)
    clock = FakeClock()
    worker = Worker(crash, r, build_source(crash, r), clock=clock)
    worker.run(max_iterations=1)
    clock.t += timedelta(minutes=3)  # the feed plays rounds; the predictions made for them settle
    worker.run(max_iterations=1)
    family = texts.family_texts("Crash")
    settled = [p for p in predictions.recent_predictions(r, "Crash", 50) if "result" in p]
    assert settled, "no crash prediction was settled"
    previous = settled[0]
    x, reached = family.settled(previous)
    assert reached[family.SESSION_MARKET] == (x >= 2)
    assert family.settled({**previous, "result": None}) is None

    report = json.loads(read_report(r, "Crash"))
    text = family.prediction_text(report, previous, (1, 2, 0), now=clock.now())
    assert f"round {report['next_issue']}" in text
    assert "2x" in text and "(chance 49.5%)" in text and "(chance 9.9%)" in text
    assert "still 9.9%" in text and f"Last round {previous['issue']}" in text
    assert "Session: 1 hit / 2 misses on rounds reaching 2x" in text
    for word in ("raise", "double", "martingale", "bet more", "signal"):
        assert word not in text.lower()

    record = draws.get_draw(r, "Crash", previous["issue"])
    game = get_game("Crash")
    before = draws.get_draw(r, "Crash", game.previous_issue(previous["issue"]))
    proof = family.fair_text("Crash", record, verify_draw(record, "Crash", before),
                             game.fair_formula())
    assert proof.endswith("Verified") and "matches: yes" in proof
    assert "previous round's hash: yes" in proof
    forged = {**record, "multiplier": x + 1}
    tampered = family.fair_text("Crash", forged, verify_draw(forged, "Crash", before),
                                game.fair_formula())
    assert tampered.endswith("NOT verified") and "matches: NO" in tampered

    history = family.history_text("Crash", [record], {previous["issue"]: previous})
    assert "we gave 2x" in history and history.splitlines()[1].startswith(previous["issue"])
    assert family.history_text("Crash", [], {}) == "Crash: no settled rounds yet."
