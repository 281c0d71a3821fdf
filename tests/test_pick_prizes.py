"""Prize tables are honest: Powerball's fixed amounts, EuroMillions' pari-mutuel tiers shown as
match patterns with exact odds and never as made-up fixed amounts (checker and EV)."""
from __future__ import annotations

import pytest

from lottery.games import Draw, get_game
from lottery.games.pick import POWERBALL, prize_table, prize_terms
from lottery.store import draws

EM = get_game("EuroMillions")


def test_prize_tables_give_match_patterns_odds_and_how_amounts_are_set():
    pb = {row["tier"]: row for row in prize_table(POWERBALL)}
    assert pb["5+1"]["amount_kind"] == "jackpot" and pb["5+1"]["amount"] is None
    assert pb["5+1"]["odds_one_in"] == pytest.approx(292_201_338)
    assert pb["4+1"]["amount"] == 50_000 and pb["4+1"]["amount_kind"] == "fixed"
    assert pb["0+1"]["odds_one_in"] == pytest.approx(38.32, abs=0.01)
    em = prize_terms(EM)
    assert em["pari_mutuel"] and "pari-mutuel" in em["prize_note"]
    rows = {row["tier"]: row for row in em["prize_table"]}
    assert len(rows) == 13 and rows["5+2"]["odds_one_in"] == pytest.approx(139_838_160)
    assert rows["2+0"]["odds_one_in"] == pytest.approx(21.9, abs=0.01)  # published: 1 in 22
    assert all(r["amount"] is None for r in rows.values())
    assert all(r["amount_text"].startswith("pari-mutuel, varies") for t, r in rows.items()
               if t != "5+2")
    assert not prize_terms(POWERBALL)["pari_mutuel"]


@pytest.fixture
def client(settings, r):
    from lottery.web import close_app, create_app

    app = create_app(settings.with_(games=("Powerball", "EuroMillions")), r)
    yield app.test_client()
    assert close_app(app)


def test_euromillions_checker_and_ev_say_pari_mutuel_and_invent_no_amount(client, r):
    issue = "2024-01-05"  # a Friday
    draws.add_draws(r, EM, [Draw("EuroMillions", issue, EM.parse_outcome(
        {"whites": [3, 14, 25, 36, 47], "bonus": [2, 9]}, issue), source="manual")], 1000)
    ticket = {"whites": [3, 14, 25, 36, 1], "bonus": [2, 10]}  # 4 + 1
    out = client.post("/api/pick/check?game=EuroMillions",
                      json={"ticket": ticket, "draw_date": issue}).json
    row = out["rows"][0]
    assert row["tier"] == "4+1" and row["prize"] is None and out["net"] is None
    assert out["unknown_prizes"] == 1 and out["pari_mutuel"] and "pari-mutuel" in out["prize_note"]
    assert out["cost"] == 2.5 and out["currency"] == "EUR"
    # The announced amount of that draw values the win; an unknown tier is a 400.
    paid = client.post("/api/pick/check?game=EuroMillions",
                       json={"ticket": ticket, "draw_date": issue, "prizes": {"4+1": 150.2}}).json
    assert paid["rows"][0]["prize"] == 150.2 and paid["net"] == pytest.approx(147.7)
    for bad in ({"9+9": 1}, {"4+1": -1}, {"4+1": "lots"}, [1]):
        resp = client.post("/api/pick/check?game=EuroMillions",
                           json={"ticket": ticket, "draw_date": issue, "prizes": bad})
        assert resp.status_code == 400 and resp.json["error"] == "bad_prizes", bad
    ev = client.get("/api/pick/expected-value?game=EuroMillions&jackpot=17000000").json
    assert ev["pari_mutuel"] and ev["ev_other_prizes"] is None and ev["ev_total"] is None
    assert ev["long_run_return_per_unit"] == 0.5 and "long-run average" in ev["ev_note"]
    assert ev["prize_table"][0]["tier"] == "5+2"
    pb = client.get("/api/pick/expected-value?jackpot=0").json
    assert not pb["pari_mutuel"] and pb["ev_other_prizes"] == pytest.approx(0.32, abs=0.01)
    assert "long_run_return_per_unit" not in pb
