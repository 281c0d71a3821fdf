"""Crash alerts in Telegram: a chat subscribes and gets them, through the real
python-telegram-bot Application against the fake Bot API on 127.0.0.1 and real Redis."""
from __future__ import annotations

import pytest

from lottery import alerts, keys
from lottery.bot import chats
from lottery.games import get_game
from lottery.sources.base import Draw
from lottery.store import draws
from clock import FakeClock
from test_bot import START, arun, make_app, running


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def bot_settings(settings, fake):
    return settings.with_(telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                          games=("WinGo_1M", "Crash"), alert_drought_rounds=(40,))


def drought(r, n: int) -> None:
    """Store a 10x round, then n rounds without one."""
    game = get_game("Crash")
    rounds = [Draw("Crash", "1", 11.0)] + [Draw("Crash", str(i + 2), 1.5) for i in range(n)]
    draws.add_draws(r, game, rounds, 1000)


def test_a_chat_subscribes_gets_alerts_and_unsubscribes(r, fake, bot_settings, clock):
    async def scenario():
        async with running(make_app(bot_settings, clock)) as app:
            svc = app.bot_data["service"]
            fake.command(301, "/alerts")
            fake.command(302, "/alerts on")
            await fake.reply_to(301)
            fake.command(301, "/alerts on Crash")
            await fake.reply_to(301, 2)
            await fake.reply_to(302)
            # The worker's prediction event: the bot runs the rule and sends the new alert.
            drought(r, 40)
            from lottery.events import publish_event

            publish_event(r, "prediction", "Crash", {"issue": "42"})
            await fake.reply_to(301, 3)
            await fake.reply_to(302, 2)
            fake.command(301, "/alerts off")
            await fake.reply_to(301, 4)
            # A second alert (published by any process) reaches only the chat still following.
            alerts.publish(r, alerts.Alert("Crash", "drought", "second", "Crash: second alert"))
            await fake.until(lambda f: "Crash: second alert" in f.texts(302))
            await svc.idle()
        return fake.texts(301), fake.texts(302)

    one, two = arun(scenario())
    assert one[0].startswith("Alerts followed here: none.\nUsage: /alerts on or /alerts off")
    assert one[1].startswith("Crash alerts on. /alerts off stops them.")
    assert one[2] == two[1] == ("Crash: no 10x for 40 rounds (since round 2). The chance of 10x "
                                "in the next round is still 9.9%: rounds are independent, so a "
                                "drought never makes 10x more likely.")
    assert one[3] == "Crash alerts off." and len(one) == 4
    assert two == [two[0], one[2], "Crash: second alert"]
    assert chats.alert_chat_ids(r, "Crash") == [302]
    assert r.ttl(keys.telegram_chat(302)) == -1  # a chat following alerts is kept


def test_a_chat_that_blocked_the_bot_is_forgotten_with_its_alerts(r):
    chats.set_alerts(r, 303, "Crash", True)
    assert chats.alert_chat_ids(r, "Crash") == [303]
    chats.migrate_chat(r, 303, -1003)
    assert chats.alert_chat_ids(r, "Crash") == [-1003]
    assert chats.alert_games_of(r, -1003) == ["Crash"]
    chats.forget_chat(r, -1003)
    assert chats.alert_chat_ids(r, "Crash") == [] and not r.exists(keys.telegram_chat(-1003))
