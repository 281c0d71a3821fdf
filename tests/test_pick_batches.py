"""Pre-generated pick tickets: the batch worker step, failure isolation, expiry, the compatible routes,
the ticket checker, the expected-value calculator and the insights endpoint."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from clock import FakeClock
from conftest import ADMIN_TOKEN
from lottery import keys
from lottery.games.pick import POWERBALL
from lottery.store import pick_batches
from lottery.worker import Worker, build_source

# The web answers by the real clock, so the batches are made "now" too.
START = datetime.now(timezone.utc).replace(microsecond=0)
MODES = POWERBALL.predictors().names  # with the ML extra: random_forest, gradient_boosting
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def pb(settings):
    return settings.with_(games=("WinGo_1M", "Powerball"))


@pytest.fixture
def ran(pb, r):
    """A worker that back-filled 50 Powerball draws and generated the first batch."""
    worker = Worker(pb.with_(games=("Powerball",)), r, build_source(pb, r), clock=FakeClock(START))
    worker.run(max_iterations=1)
    return worker


@pytest.fixture
def client(pb, r, ran):
    from lottery.web import close_app, create_app

    app = create_app(pb, r)
    yield app.test_client()
    assert close_app(app)


class Broken:
    name = "broken"

    def tickets(self, n, seed=0):
        raise RuntimeError("model not available")


def test_the_worker_stores_a_batch_per_mode_after_a_new_draw(r, ran):
    status = pick_batches.status(r, POWERBALL, MODES, START)
    assert status["by_mode"] == {m: 100 for m in MODES} and status["total_tickets"] == 100 * len(MODES)
    assert status["metrics"]["total_runs"] == 1 and status["metrics"]["last_run_status"] == "success"
    assert status["metrics"]["by_mode"]["hybrid"] == {"successes": 1, "failures": 0, "tickets": 100}
    assert 0 < r.ttl(keys.pick_tickets("Powerball", "random")) <= 7 * 86_400
    for mode in MODES:
        for t in pick_batches.cached(r, POWERBALL, mode, 100, START):
            assert len(set(t["white_balls"])) == 5 and t["white_balls"] == sorted(t["white_balls"])
            assert all(1 <= w <= 69 for w in t["white_balls"]) and 1 <= t["powerball"] <= 26
            assert t["confidence"] is None and t["odds"]["jackpot_one_in"] == 292_201_338


def test_a_failing_mode_does_not_stop_the_others_and_shows_in_status(r, ran):
    modes = pick_batches.fresh_modes(r, POWERBALL, names=["random", "hybrid"])
    later = START + timedelta(days=1)
    out = pick_batches.generate(r, POWERBALL, [modes[0], Broken(), modes[1]], issue=POWERBALL.issue_at(later),
                                now=later, n=10)
    assert out["modes_processed"] == ["random", "hybrid"] and out["modes_failed"] == ["broken"]
    assert "model not available" in out["errors"]["broken"] and out["status"] == "partial"
    status = pick_batches.status(r, POWERBALL, MODES, later)
    assert status["by_mode"]["random"] == 110 and status["by_mode"]["frequency"] == 100
    assert "model not available" in status["errors"]["broken"]["error"]
    assert status["metrics"]["failed_runs"] == 1 and status["metrics"]["successful_runs"] == 1
    # Once it succeeds again its error is gone.
    ok = pick_batches.generate(r, POWERBALL, [modes[0]], issue=POWERBALL.issue_at(later), now=later, n=1)
    assert ok["status"] == "success"
    r.hdel(keys.pick_batch_errors("Powerball"), "broken")  # a real mode name clears itself:
    bad = pick_batches.generate(r, POWERBALL, [Broken()], issue=POWERBALL.issue_at(later), now=later, n=1)
    assert bad["status"] == "failed"


def test_tickets_older_than_seven_days_are_not_served_and_are_deleted(r, ran):
    week_later = START + timedelta(days=7, seconds=1)
    assert pick_batches.cached(r, POWERBALL, "random", 10, week_later) == []
    assert pick_batches.status(r, POWERBALL, MODES, week_later)["total_tickets"] == 0
    modes = pick_batches.fresh_modes(r, POWERBALL, names=["random"])
    pick_batches.generate(r, POWERBALL, modes, issue=POWERBALL.issue_at(week_later), now=week_later, n=5)
    assert r.zcard(keys.pick_tickets("Powerball", "random")) == 5  # the old batch was removed


def test_batches_are_reproducible_from_the_history(r, ran):
    a = pick_batches.fresh_modes(r, POWERBALL, names=["hybrid"])[0].tickets(5, seed=3)
    b = pick_batches.fresh_modes(r, POWERBALL, names=["hybrid"])[0].tickets(5, seed=3)
    assert a == b and a != pick_batches.fresh_modes(r, POWERBALL, names=["hybrid"])[0].tickets(5)


def test_cached_and_batch_status_keep_the_original_fields(client):
    body = client.get("/api/v1/tickets/cached?mode=v1&limit=3").json
    assert body["mode"] == "frequency" and body["count"] == 3 and body["cached"] is True
    assert isinstance(body["response_time_ms"], float)
    ticket = body["tickets"][0]
    assert {"white_balls", "powerball", "confidence", "strategy", "cached", "created_at"} <= set(ticket)
    assert ticket["strategy"] == "frequency" and ticket["cached"] is True
    status = client.get("/api/v1/tickets/batch-status").json
    assert {"total_tickets", "by_mode", "oldest_ticket", "newest_ticket"} <= set(status)
    assert status["total_tickets"] == 100 * len(MODES) and status["newest_ticket"] == START.isoformat()
    for url, code in [("/api/v1/tickets/cached?mode=lstm", "unknown_mode"),
                      ("/api/v1/tickets/cached?limit=0", "bad_request"),
                      ("/api/v1/tickets/cached?game=WinGo_1M", "not_a_pick_lottery"),
                      ("/api/v1/tickets/cached?game=Nope", "unknown_game")]:
        resp = client.get(url)
        assert resp.status_code == 400 and resp.json["error"] == code, url


def test_generate_on_demand_needs_the_admin_token(client):
    assert client.post("/api/v1/tickets/generate?n=2").status_code == 401
    out = client.post("/api/v1/tickets/generate?n=2", headers=AUTH).json
    assert out["modes_processed"] == list(MODES) and out["tickets_generated"] == 2 * len(MODES)


def test_ticket_checker_counts_every_play_against_the_cost(client, r):
    from lottery.store import draws

    latest = draws.recent_draws(r, "Powerball", 1)[0]
    winner = {"whites": latest["whites"], "bonus": latest["bonus"]}
    four = {"whites": latest["whites"][:4] + [w for w in range(1, 70)
                                             if w not in latest["whites"]][:1],
            "bonus": latest["bonus"]}
    out = client.post("/api/pick/check", json={"tickets": [four], "draw_date": latest["issue"]}).json
    row = out["rows"][0]
    assert row["tier"] == "4+1" and row["prize"] == 50_000 and out["net"] == 50_000 - 2
    jackpot = client.post("/api/pick/check", json={"ticket": winner,
                                                   "draw_date": latest["issue"]}).json
    assert jackpot["rows"][0]["jackpot"] and jackpot["rows"][0]["prize"] is None
    assert jackpot["net"] is None and jackpot["unknown_prizes"] == 1
    ranged = client.post("/api/pick/check", json={"ticket": [1, 2, 3, 4, 5, 6],
                                                  "from": POWERBALL.issue_from_ordinal(
                                                      POWERBALL.issue_ordinal(latest["issue"]) - 15),
                                                  "to": latest["issue"]}).json
    assert ranged["plays"] == 16 and ranged["cost"] == 32.0
    for body, code in [({"ticket": [1, 1, 2, 3, 4, 5], "draw_date": latest["issue"]}, "bad_ticket"),
                       ({"ticket": [1, 2, 3, 4, 70, 5], "draw_date": latest["issue"]}, "bad_ticket"),
                       ({"ticket": [1, 2, 3, 4, 5], "draw_date": latest["issue"]}, "bad_ticket"),
                       ({"ticket": [1, 2, 3, 4, 5, 6], "draw_date": "2026-01-06"}, "bad_issue"),  # a Tuesday
                       ({"ticket": [1, 2, 3, 4, 5, 6]}, "bad_issue")]:
        resp = client.post("/api/pick/check", json=body)
        assert resp.status_code == 400 and resp.json["error"] == code, body
    assert client.post("/api/pick/check", json={"ticket": [1, 2, 3, 4, 5, 6],
                                                "draw_date": "2024-01-01"}).status_code == 404


def test_expected_value_calculator(client):
    base = client.get("/api/pick/expected-value?jackpot=0").json
    assert base["ev_other_prizes"] == pytest.approx(0.32, abs=0.01) and base["price"] == 2.0
    big = client.get("/api/pick/expected-value?jackpot=1000000000&payout=cash&cash_factor=0.45"
                     "&tax_rate=0.37&tickets_sold=100000000").json
    assert big["expected_share"] < 1 and big["net"] < 0
    for q in ("jackpot=x", "", "jackpot=1&payout=cash", "jackpot=1&tax_rate=1.5"):
        resp = client.get(f"/api/pick/expected-value?{q}")
        assert resp.status_code == 400 and resp.json["error"] == "bad_parameter", q


def test_insights_endpoint_gives_each_figure_with_its_expectation(client):
    body = client.get("/api/pick/insights").json
    assert body["era"]["matrix"] == "5/69 + 1/26" and body["white_frequency"]["n"] == 50
    assert body["white_frequency"]["expected_each"] == pytest.approx(50 * 5 / 69)
    assert body["pairs"]["one_in"] == pytest.approx(234.6, abs=0.05)
    assert body["triplets"]["one_in"] == pytest.approx(5239.4, abs=0.05)
    assert set(body["weekdays"]["observed"]) == {"Monday", "Wednesday", "Saturday"}
    assert "same chance" in body["caveat"]


def test_manual_entry_refuses_duplicate_off_calendar_and_future_dates(client, r):
    from lottery.store import draws

    past = "2025-06-07"  # a Saturday before the back-filled draws
    body = {"draw_date": past, "whites": [5, 1, 22, 41, 69], "bonus": [26]}
    assert client.post("/api/pick/draws", json=body).status_code == 401
    resp = client.post("/api/pick/draws", json=body, headers=AUTH)
    assert resp.status_code == 201 and resp.json["whites"] == [1, 5, 22, 41, 69]
    stored = draws.get_draw(r, "Powerball", past)
    assert stored["source"] == "manual" and stored["era"] == "2015-10-07"
    before = draws.count(r, "Powerball")
    future = POWERBALL.issue_at(datetime.now(timezone.utc) + timedelta(days=7))
    for bad, code in [(body, "duplicate_draw"),
                      ({**body, "draw_date": "2025-06-08"}, "bad_draw"),  # a Sunday
                      ({**body, "draw_date": future}, "bad_draw"),
                      ({**body, "draw_date": "2025-06-04", "whites": [1, 1, 2, 3, 4]}, "bad_draw"),
                      ({**body, "draw_date": "2025-06-04", "bonus": [27]}, "bad_draw"),
                      ({**body, "draw_date": "2025-06-04", "whites": [1, 2, 3, 4]}, "bad_draw")]:
        resp = client.post("/api/pick/draws", json=bad, headers=AUTH)
        assert resp.status_code == 400 and resp.json["error"] == code, bad
    assert draws.count(r, "Powerball") == before
