"""The bot's pick-lottery commands against the fake Bot API: /check a ticket (honest money
result) and /pickstats (each mode against chance and the random baseline)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from clock import FakeClock
from lottery.bot import pick_texts
from lottery.games import Draw, get_game
from lottery.games.pick import POWERBALL
from lottery.store import draws
from lottery.worker import Worker, build_source
from test_bot import arun, make_app, running

START = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def bot_settings(settings, fake):
    return settings.with_(telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                          games=("WinGo_1M", "Powerball", "EuroMillions"))


def ask(fake, bot_settings, clock, chat, *commands):
    async def scenario():
        async with running(make_app(bot_settings, clock)):
            for i, command in enumerate(commands):
                fake.command(chat, command)
                await fake.reply_to(chat, i + 1)
        return fake.texts(chat)

    return arun(scenario())


def test_check_gives_matches_prize_cost_and_net_against_the_last_draw(r, fake, bot_settings, clock):
    last = POWERBALL.parse_outcome({"whites": [5, 12, 23, 34, 45], "bonus": [6]}, "2026-01-05")
    older = POWERBALL.parse_outcome({"whites": [1, 2, 3, 4, 5], "bonus": [9]}, "2026-01-03")
    draws.add_draws(r, POWERBALL, [Draw("Powerball", "2026-01-05", last, source="manual"),
                                   Draw("Powerball", "2026-01-03", older, source="manual")], 100)
    em = get_game("EuroMillions")
    draws.add_draws(r, em, [Draw("EuroMillions", "2026-01-02", em.parse_outcome(
        {"whites": [3, 14, 25, 36, 47], "bonus": [2, 9]}, "2026-01-02"), source="manual")], 100)
    four, miss, jackpot, dated, euro = ask(
        fake, bot_settings, clock, 301,
        "/check 5 12 23 34 1 pb 6", "/check 60 61 62 63 64 pb 1", "/check 45 34 23 12 5 6",
        "/check 1 2 3 4 5 pb 9 2026-01-03", "/check EuroMillions 3 14 25 36 1 stars 2 10")
    assert "Powerball draw 2026-01-05: 05 12 23 34 45 + 06" in four
    assert "4 whites + 1 Powerball matched" in four
    assert "Tier 4+1: prize USD 50,000.00. The ticket cost USD 2.00: net +USD 49,998.00." in four
    assert "No prize. The ticket cost USD 2.00: net -USD 2.00." in miss
    assert "Tier 5+1: the jackpot" in jackpot and "net unknown" in jackpot
    assert "draw 2026-01-03" in dated and "5+1" in dated
    assert "EuroMillions draw 2026-01-02" in euro and "Tier 4+1: a pari-mutuel prize" in euro
    assert "EUR 2.50" in euro and "net unknown" in euro


@pytest.mark.parametrize("command,expected", [
    ("/check", "Usage: /check"),
    ("/check 1 2 3", "expected 5"),
    ("/check 1 1 2 3 4 pb 5", "must be distinct"),
    ("/check 1 2 3 4 70 pb 5", "must be 1-69"),
    ("/check 1 2 3 4 5 pb 27", "must be 1-26"),
    ("/check 1 2 x 4 5 pb 6", "whole numbers"),
    ("/check Lotto 1 2 3 4 5 pb 6", "not a pick lottery here"),
    ("/check 1 2 3 4 5 pb 6 2026-01-04", "not a draw date"),  # a Sunday
    ("/check 1 2 3 4 5 pb 6 2025-12-31", "No stored Powerball draw for 2025-12-31"),
    ("/pickstats Lotto", "Usage: /pickstats"),
])
def test_bad_check_input_gets_a_clear_reply(r, fake, bot_settings, clock, command, expected):
    draws.add_draws(r, POWERBALL, [Draw("Powerball", "2026-01-05", POWERBALL.parse_outcome(
        [1, 2, 3, 4, 5, 6], "2026-01-05"), source="manual")], 100)
    (text,) = ask(fake, bot_settings, clock, 302, command)
    assert expected in text


def test_pickstats_shows_each_mode_against_chance_and_random(r, fake, bot_settings, clock,
                                                             settings):
    pb = settings.with_(games=("Powerball",))
    worker = Worker(pb, r, build_source(pb, r), clock=clock)
    worker.run(max_iterations=1)
    clock.t = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
    worker.run(max_iterations=1)
    (text,) = ask(fake, bot_settings, clock, 303, "/pickstats Powerball")
    lines = text.splitlines()
    assert lines[0] == "Powerball: each mode's tickets against chance and the random baseline"
    assert lines[1].startswith("random (baseline), n=1")
    assert "white ball matched: " in text and "(chance 32.2%, p " in text
    assert "; random " in text  # every other mode next to the baseline
    assert "verdict: too few draws to judge" in text
    assert "more matches than chance still lose money" in text


def test_pick_stats_text_words_verdicts_honestly():
    rows = [{"predictor": p, "market": "white_match", "n": 400, "hits": h, "chance": 0.3216,
             "p_value": pv, "verdict": v} for p, h, pv, v in
            [("random", 126, 0.5, "no evidence of an edge"),
             ("frequency", 180, 1e-6, "better than chance")]]
    text = pick_texts.pick_stats_text(POWERBALL, rows)
    assert "frequency, n=400" in text and "180/400 = 45.0% (chance 32.2%, p < 0.0001); random 31.5%" in text
    assert "better than chance (corrected), but no hit rate can make money" in text
    assert pick_texts.pick_stats_text(POWERBALL, []).endswith("scored after every draw.")
