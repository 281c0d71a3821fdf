"""The Telegram bot end to end: the real python-telegram-bot Application against a fake
Bot API server on 127.0.0.1 and the real Redis server."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from telegram.ext import AIORateLimiter

from clock import FakeClock
from fake_telegram import FORBIDDEN, error, too_many
from httpfake import Reply
from lottery import keys
from lottery.reports import wingo as report
from lottery.bot import chats
from lottery.bot.app import build_application, run
from lottery.store import scores as recorder
from lottery.events import publish_event
from lottery.games import get_game
from lottery.predictors.wingo.base import from_probs, hits
from lottery.sources.base import Draw
from lottery.store import draws, predictions
from lottery.store.embedded import free_port

ADMIN = 4242
GAME = "WinGo_1M"
# 12:00:30 UTC: the open WinGo_1M issue is drawn at 12:01:00, so nothing goes stale mid-test.
START = datetime(2026, 3, 1, 12, 0, 30, tzinfo=timezone.utc)


def arun(coro, timeout: float = 40.0):
    """Run one async scenario with an overall time limit."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def bot_settings(settings, fake):
    return settings.with_(telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                          telegram_admin_ids=(ADMIN,), games=(GAME, "WinGo_30S"))


@pytest.fixture
def clock():
    return FakeClock(START)


def make_app(bot_settings, clock, **options):
    options = {"send_backoff": 0.01, "stop_grace": 2.0, "tick_seconds": 3600.0, **options}
    return build_application(
        bot_settings, redis.Redis.from_url(bot_settings.redis_url), clock=clock.now,
        rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3),
        **options)


@asynccontextmanager
async def running(app):
    """Run the application the way run_polling does, without taking over signals."""
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    # The housekeeping loop's first pass runs schedules at start; let it finish so
    # it cannot race the scenario's own calls once the clock is moved.
    await asyncio.wait_for(app.bot_data["service"].first_tick.wait(), 10)
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.post_stop(app)
        await app.shutdown()
        await app.post_shutdown(app)
        app.bot_data["service"].r.close()


def seed(r, now, code=GAME, previous_digit=None, favourite=7, publish=True) -> str:
    """Store the open issue's prediction and report (and a settled previous issue)."""
    game = get_game(code)
    issue = game.issue_at(now)
    probs = [0.05] * 10
    probs[favourite] = 0.55
    pred = from_probs("overdue", probs)
    if previous_digit is not None:
        prev = game.previous_issue(issue)
        if predictions.get_prediction(r, code, prev) is None:
            predictions.save_prediction(r, game, prev, pred.to_dict(), 1000)
            recorder.record(r, code, prev, {"overdue": pred})
        stored = predictions.get_prediction(r, code, prev)
        h = hits(stored, previous_digit)
        predictions.resolve_prediction(r, code, prev,
                                       {**report.result_of(previous_digit), "hits": h})
        report.update_counters(r, code, stored, previous_digit)
        draws.add_draws(r, game, [Draw(code, prev, previous_digit,
                                       game.draw_time(prev).isoformat())], 1000)
        recorder.resolve(r, code, prev, previous_digit)
    predictions.save_prediction(r, game, issue, pred.to_dict(), 1000)
    recorder.record(r, code, issue, {"overdue": pred})
    body = report.build_report(
        game=game, next_issue=issue, now=now, prediction=pred, digits=[],
        recent=draws.recent_draws(r, code, 20), history=predictions.recent_predictions(r, code, 20),
        counters=report.read_counters(r, code), ai_enabled=False, commitment=None)
    predictions.write_report(r, code, report.encode(body))
    if publish:
        publish_event(r, "prediction", code, {"issue": issue})
    return issue


def subscribe(r, chat_ids, now, code=GAME):
    for chat_id in chat_ids:
        chats.subscribe(r, chat_id, code, get_game(code).issue_at(now), now.isoformat())


# -- commands --------------------------------------------------------------------------------
def test_start_subscribes_and_sends_the_current_prediction(r, fake, bot_settings, clock):
    issue = seed(r, clock.now(), publish=False)

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            fake.command(101, "/start")
            return await fake.reply_to(101, 2)

    texts = arun(scenario())
    assert texts[0].startswith(f"Subscribed to {GAME}")
    assert f"issue {issue}" in texts[1] and "Prediction: Big · Green · numbers 7" in texts[1]
    assert "no proven edge" in texts[1]
    assert r.sismember(keys.TELEGRAM_SUBSCRIBERS, 101)
    state = chats.get_chat(r, 101)
    assert state.subscribed and state.game == GAME and state.session_start == issue


def test_read_commands_answer_from_stored_data(r, fake, bot_settings, clock):
    game = get_game(GAME)
    seed(r, clock.now() - timedelta(seconds=60), publish=False)
    issue = seed(r, clock.now(), previous_digit=8, publish=False)  # 8: Big Red, we said Big Green

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            for i, command in enumerate(["/prediction", "/history", "/stats", "/status", "/help",
                                         "/nonsense"]):
                fake.command(102, command)
                await fake.reply_to(102, i + 1)
        return fake.texts(102)

    prediction, history, stats, status, help_, unknown = arun(scenario())
    previous = game.previous_issue(issue)
    assert f"issue {issue}" in prediction
    assert (f"Last {previous}: 8 Big Red — Big/Small hit · colour miss · top 3 miss"
            in prediction)
    assert f"{previous}: 8 Big Red — we said Big hit, Green miss" in history
    # Never a bare percentage: n, chance, interval and the verdict on every line.
    assert "Big/Small: 1/1 hits = 100.0% (n=1; chance 50.0%; 95% CI" in stats
    assert "no evidence of an edge over chance" in stats
    assert "Session stopped" in status and "Today (2026-03-01): 0 hits / 0 misses" in status
    assert "/fair ISSUE" in help_ and "/broadcast" not in help_
    assert unknown.startswith("Unknown command")


@pytest.mark.parametrize("command,expected", [
    ("/game WinGo_9X", "Usage: /game CODE (one of: WinGo_1M, WinGo_30S)"),
    ("/game", "Usage: /game CODE"),
    ("/fair", "Usage: /fair ISSUE"),
    ("/fair 12ab", "Usage: /fair ISSUE"),
    ("/winlimit lots", "Usage: /winlimit N"),
    ("/winlimit 0x5", "Usage: /winlimit N"),
    ("/timezone Mars/Olympus_Mons", "Usage: /timezone Area/City"),
    ("/schedule 25:00", "Usage: /schedule HH:MM"),
    ("/broadcast", "only for the bot's administrators"),
])
def test_bad_arguments_get_a_usage_line_and_change_nothing(r, fake, bot_settings, clock, command,
                                                           expected):
    async def scenario():
        async with running(make_app(bot_settings, clock)):
            fake.command(103, command)
            return await fake.reply_to(103)

    assert expected in arun(scenario())[0]
    assert r.exists(keys.telegram_chat(103)) == 0


def test_settings_commands_and_schedule_buttons(r, fake, bot_settings, clock):
    async def scenario():
        async with running(make_app(bot_settings, clock)):
            steps = ["/game WinGo_30S", "/winlimit 3", "/timezone asia/kolkata", "/schedule 7:30",
                     "/schedule", "/viewschedule"]
            for i, command in enumerate(steps):
                fake.command(104, command)
                await fake.reply_to(104, i + 1)
            fake.button(104, "sched:09:00")
            await fake.until(lambda f: any(m == "answerCallbackQuery" for m, _ in f.calls))
            await fake.until(lambda f: any(m == "editMessageReplyMarkup" for m, _ in f.calls))
            fake.command(104, "/clearschedule")
            await fake.reply_to(104, len(steps) + 1)
        return fake.texts(104)

    texts = arun(scenario())
    assert texts[0].startswith("Game set to WinGo_30S")
    assert "after 3 correct Big/Small calls" in texts[1]
    assert texts[2].startswith("Timezone set to Asia/Kolkata (local time 17:30)")
    assert texts[3].startswith("Daily start 07:30 added") and "Asia/Kolkata" in texts[3]
    keyboard = json.loads(next(s.params["reply_markup"] for s in fake.sent
                               if "reply_markup" in s.params))
    assert len(keyboard["inline_keyboard"]) == 4 and keyboard["inline_keyboard"][1][3] == {
        "text": "09:00", "callback_data": "sched:09:00"}
    assert "Daily session starts (Asia/Kolkata): 07:30" in texts[5]
    answer = next(p for m, p in fake.calls if m == "answerCallbackQuery")
    assert answer["text"] == "Daily start 09:00 added."
    assert texts[6] == "Removed 2 daily start(s)."
    state = chats.get_chat(r, 104)
    assert (state.game, state.win_limit, state.tz, state.schedules) == (
        "WinGo_30S", 3, "Asia/Kolkata", [])
    assert not r.sismember(keys.TELEGRAM_SCHEDULED, 104)


def test_fair_shows_the_proof_of_a_simulated_draw(r, fake, bot_settings, clock):
    from lottery.sources.simulated import SimulatedSource

    game = get_game(GAME)
    source = SimulatedSource("test-secret")
    drawn = game.last_settled_issue(clock.now())
    draws.add_draws(r, game, [source.draw(game, game.previous_issue(drawn)),
                              source.draw(game, drawn)], 1000)
    pending = game.issue_at(clock.now())
    r.hset(keys.commitments(GAME), pending, source.commitment(game, pending))

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            for i, command in enumerate([f"/fair {drawn}", f"/fair {pending}",
                                         f"/fair {game.next_issue(pending)}"]):
                fake.command(105, command)
                await fake.reply_to(105, i + 1)
        return fake.texts(105)

    proof, commitment, unknown = arun(scenario())
    record = draws.get_draw(r, GAME, drawn)
    assert f"Seed (revealed after the draw): {record['seed']}" in proof
    assert "SHA-256(seed) equals the commitment: yes" in proof
    assert f"Recomputed digit: {record['number']} (matches: yes)" in proof
    assert "(hash chain): yes" in proof and proof.endswith("Verified")
    assert f"Commitment published now: {source.commitment(game, pending)}" in commitment
    assert unknown.startswith("No draw or commitment stored")


# -- live feed -------------------------------------------------------------------------------
def test_published_prediction_reaches_every_subscribed_chat_once(r, fake, bot_settings, clock):
    subscribe(r, [201, 202, 203], clock.now())
    subscribe(r, [204], clock.now(), code="WinGo_30S")
    chats.subscribe(r, 205, GAME, "", "")
    chats.unsubscribe(r, 205)

    async def scenario():
        async with running(make_app(bot_settings, clock)) as app:
            first = seed(r, clock.now())
            await fake.until(lambda f: len(f.sent) >= 3)
            # A repeated wake-up and an AI patch of the same report send nothing new.
            publish_event(r, "prediction", GAME, {"issue": first})
            predictions.patch_reports(r, [GAME], ai_enabled=True)
            clock.advance(60)
            second = seed(r, clock.now(), previous_digit=2)  # 2: Small Red; we said Big Green
            await fake.until(lambda f: len(f.sent) >= 6)
            await app.bot_data["service"].idle()  # any duplicate would have been sent by now
            return first, second

    first, second = arun(scenario())
    assert fake.sends_per_chat() == {201: 2, 202: 2, 203: 2}
    for chat_id in (201, 202, 203):
        one, two = fake.texts(chat_id)
        assert f"issue {first}" in one and f"issue {second}" in two
        assert f"Last {first}: 2 Small Red — Big/Small miss · colour miss" in two
        # Plural-aware counts, and when this issue is drawn (the next message follows it).
        assert "Session: 0 hits / 1 miss on Big/Small calls" in two
        assert "Draw at 12:02:00 UTC (in 30 seconds); the next prediction follows it." in two
        state = chats.get_chat(r, chat_id)
        assert (state.session_losses, state.day_losses, state.day) == (1, 1, "2026-03-01")


def test_restart_mid_broadcast_sends_no_duplicates(r, fake, bot_settings, clock):
    ids = list(range(300, 350))
    subscribe(r, ids, clock.now())
    fake.hold_after = 15  # the 16th message onwards hangs until released

    async def first_process():
        async with running(make_app(bot_settings, clock, chunk=10, stop_grace=0.2)):
            seed(r, clock.now())
            await fake.until(lambda f: len(f.sent) >= 20)  # chunk 2 is in flight
        fake.release.set()

    async def second_process():
        async with running(make_app(bot_settings, clock, chunk=10)) as app:
            await fake.until(lambda f: len(f.sent) >= 50)
            await app.bot_data["service"].idle()

    arun(first_process())
    assert len(fake.sent) == 20
    fake.hold_after = None
    arun(second_process())
    assert fake.sends_per_chat() == {chat_id: 1 for chat_id in ids}


def test_two_replicas_send_each_chat_once(r, fake, bot_settings, clock):
    ids = list(range(400, 440))
    subscribe(r, ids, clock.now())

    async def scenario():
        async with running(make_app(bot_settings, clock, chunk=5)) as one, \
                running(make_app(bot_settings, clock, chunk=5)) as two:
            seed(r, clock.now())
            await fake.until(lambda f: len(f.sent) >= 40)
            await one.bot_data["service"].idle()
            await two.bot_data["service"].idle()

    arun(scenario())
    assert fake.sends_per_chat() == {chat_id: 1 for chat_id in ids}


def test_blocked_chat_is_unsubscribed_and_failures_do_not_stop_others(r, fake, bot_settings,
                                                                      clock):
    subscribe(r, [501, 502, 503, 504], clock.now())
    chats.toggle_schedule(r, 501, "08:00")
    fake.scripted[501] = [FORBIDDEN]
    fake.scripted[502] = [Reply(200, b"{not json")]  # malformed body: counted as failed
    fake.scripted[503] = [error(502, "Bad Gateway"), error(500, "Internal")]  # retried

    async def scenario():
        async with running(make_app(bot_settings, clock)) as app:
            seed(r, clock.now())
            await fake.until(lambda f: len(f.sent) >= 6)
            await app.bot_data["service"].idle()

    arun(scenario())
    assert fake.sends_per_chat() == {501: 1, 502: 1, 503: 3, 504: 1}
    assert not r.sismember(keys.TELEGRAM_SUBSCRIBERS, 501)
    assert not r.exists(keys.telegram_chat(501)) and not r.sismember(keys.TELEGRAM_SCHEDULED, 501)
    assert r.sismember(keys.TELEGRAM_SUBSCRIBERS, 502)  # one bad reply is not a blocked chat


def test_429_retry_after_is_honoured(r, fake, bot_settings, clock):
    subscribe(r, [601, 602], clock.now())
    fake.scripted[601] = [too_many(1)]

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            seed(r, clock.now())
            await fake.until(lambda f: len(f.texts(601)) == 2 and len(f.texts(602)) == 1)

    arun(scenario())
    first, retry = [s for s in fake.sent if s.chat_id == 601]
    assert retry.at - first.at >= 1.0
    assert r.sismember(keys.telegram_sent(GAME, get_game(GAME).issue_at(clock.now())), 601)


def test_listener_reconnects_and_catches_up(r, fake, bot_settings, clock):
    subscribe(r, [701], clock.now())

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            seed(r, clock.now())
            await fake.reply_to(701, 1)
            clock.advance(60)
            # Drop the bot's pub/sub connection, then write a report without any wake-up.
            r.client_kill_filter(_type="pubsub")
            issue = seed(r, clock.now(), previous_digit=7, publish=False)
            texts = await fake.reply_to(701, 2)
            return issue, texts

    issue, texts = arun(scenario())
    assert f"issue {issue}" in texts[1] and "Big/Small hit" in texts[1]


def test_win_target_ends_the_session(r, fake, bot_settings, clock):
    subscribe(r, [801], clock.now())
    chats.set_fields(r, 801, win_limit=1)

    async def scenario():
        async with running(make_app(bot_settings, clock)) as app:
            seed(r, clock.now())
            await fake.reply_to(801, 1)
            clock.advance(60)
            seed(r, clock.now(), previous_digit=9)  # 9 Big Green: a hit
            await fake.reply_to(801, 2)
            clock.advance(60)
            seed(r, clock.now(), previous_digit=1)
            await app.bot_data["service"].idle()  # that issue is handled: nothing more comes

    arun(scenario())
    texts = fake.texts(801)
    assert len(texts) == 2
    assert texts[1].startswith(f"{GAME}: win target reached — session ended.")
    assert "raise" not in texts[1].lower() and "double" not in texts[1].lower()
    assert not r.sismember(keys.TELEGRAM_SUBSCRIBERS, 801)


# -- access ------------------------------------------------------------------------------------
def test_admin_commands_are_refused_to_others(r, fake, bot_settings, clock):
    seed(r, clock.now(), publish=False)
    r.hset(keys.AI_STATUS, "key_configured", "1")  # as the AI worker reports it
    subscribe(r, [901, 902], clock.now())

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            for command in ("/ai_on", "/subscribers", "/broadcast hello all"):
                fake.command(903, command)
            await fake.reply_to(903, 3)
            fake.command(ADMIN, "/ai_on")
            await fake.reply_to(ADMIN, 1)
            fake.command(ADMIN, "/subscribers")
            await fake.reply_to(ADMIN, 2)
            fake.command(ADMIN, "/broadcast Maintenance at 14:00 UTC")
            return await fake.reply_to(ADMIN, 3)

    admin = arun(scenario())
    refusals = fake.texts(903)
    assert all("only for the bot's administrators" in t for t in refusals)
    # Each subscriber got the live prediction (catch-up at start) and then the announcement.
    assert fake.texts(901)[1:] == fake.texts(902)[1:] == ["Maintenance at 14:00 UTC"]
    assert admin[0] == "AI switched on; AI status: enabled."
    assert admin[1].startswith("Subscribed chats: 2\nWinGo_1M: 2")
    assert admin[2] == "Broadcast sent to 2 chats (0 gone and unsubscribed, 0 failed)."
    assert r.get(keys.AI_ENABLED) == b"1"
    assert json.loads(predictions.read_report(r, GAME))["ai_enabled"] is True


def test_in_groups_only_administrators_start_or_schedule(r, fake, bot_settings, clock):
    group, member, owner = -1001, 11, 12
    fake.admins.add((group, owner))

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            fake.command(group, "/start", user_id=member)
            fake.command(group, "/schedule 08:00", user_id=member)
            fake.command(group, "/help", user_id=member)
            await fake.reply_to(group, 3)
            fake.command(group, "/start", user_id=owner)
            await fake.reply_to(group, 4)
        return fake.texts(group)

    texts = arun(scenario())
    assert texts[0] == texts[1] == "Only group administrators can do that in this group."
    assert texts[2].startswith("Live WinGo predictions")
    assert texts[3].startswith(f"Subscribed to {GAME}")
    assert r.sismember(keys.TELEGRAM_SUBSCRIBERS, group)
    assert chats.get_chat(r, group).schedules == []


# -- schedules and days (injected clock) ------------------------------------------------------
def test_schedule_reminds_then_starts_once_in_the_chats_timezone(r, fake, bot_settings):
    # 07:00 in Asia/Kolkata (UTC+5:30) is 01:30 UTC.
    clock = FakeClock(datetime(2026, 3, 1, 1, 24, 0, tzinfo=timezone.utc))
    chats.set_fields(r, 1001, tz="Asia/Kolkata")
    chats.toggle_schedule(r, 1001, "07:00")

    async def scenario():
        app = make_app(bot_settings, clock)
        svc = app.bot_data["service"]
        async with running(app):
            fired = [await svc.run_schedules()]
            clock.advance(90)  # 01:25:30: inside the 5 minutes
            seed(r, clock.now(), publish=False)
            fired += [await svc.run_schedules(), await svc.run_schedules()]
            clock.advance(280)  # 01:30:10: start
            seed(r, clock.now(), publish=False)
            fired += [await svc.run_schedules(), await svc.run_schedules()]
            await fake.reply_to(1001, 3)
            return fired

    assert arun(scenario()) == [0, 1, 0, 1, 0]
    reminder, started, prediction = fake.texts(1001)
    assert reminder == ("Reminder: your daily WinGo_1M session starts at 07:00 (Asia/Kolkata), "
                        "in 5 min.")
    assert started.startswith("Daily session started (07:00 Asia/Kolkata)")
    assert "Prediction:" in prediction
    assert chats.get_chat(r, 1001).subscribed


def test_day_counters_roll_over_at_the_chats_midnight(r, fake, bot_settings):
    # New York midnight on 2 March 2026 (EST) is 05:00 UTC.
    clock = FakeClock(datetime(2026, 3, 2, 4, 58, 30, tzinfo=timezone.utc))
    subscribe(r, [1101], clock.now())
    chats.set_fields(r, 1101, tz="America/New_York")

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            seed(r, clock.now())
            await fake.reply_to(1101, 1)
            for n, digit in ((2, 9), (3, 0)):  # 23:59:30 local counts a hit; 00:00:30 a miss
                clock.advance(60)
                seed(r, clock.now(), previous_digit=digit)
                await fake.reply_to(1101, n)
            fake.command(1101, "/status")
            return await fake.reply_to(1101, 4)

    status = arun(scenario())[3]
    state = chats.get_chat(r, 1101)
    assert (state.session_wins, state.session_losses) == (1, 1)
    assert (state.day, state.day_wins, state.day_losses) == ("2026-03-02", 0, 1)
    assert "Today (2026-03-02): 0 hits / 1 miss" in status
    assert "local time 2026-03-02 00:00" in status


# -- errors and the process ---------------------------------------------------------------------
def test_error_handler_logs_the_chat_id_never_the_token(r, fake, bot_settings, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(bot_settings, clock)

    async def scenario():
        async with running(app):
            svc = app.bot_data["service"]
            good = svc.r
            svc.r = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))  # Redis down
            try:
                fake.command(1201, "/status")
                return await fake.reply_to(1201)
            finally:
                svc.r.close()
                svc.r = good

    texts = arun(scenario())
    assert texts == ["The data store is unreachable right now; please try again in a moment."]
    failures = [rec.getMessage() for rec in caplog.records if "failed for chat 1201" in
                rec.getMessage()]
    assert failures and "ConnectionError" in failures[0]
    everything = "\n".join(rec.getMessage() + str(rec.exc_info or "") for rec in caplog.records)
    assert fake.token not in everything and fake.token.split(":")[1] not in everything


def test_without_a_token_the_bot_explains_and_exits_nonzero(settings, capsys):
    code = run(type("Args", (), {"drop_pending_updates": False})(),
               settings.with_(telegram_bot_token=None))
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_the_bot_process_serves_commands_and_stops_on_sigterm(fake, redis_url, tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "REDIS_URL": redis_url, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1"}
    # cwd is a temp folder so no developer .env is picked up.
    proc = subprocess.Popen([sys.executable, str(root / "bot.py")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        fake.command(1301, "/help")
        fake.wait_for(lambda f: len(f.texts(1301)) >= 1, timeout=30)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert fake.texts(1301)[0].startswith("Live WinGo predictions")
    assert "bot @lottery_test_bot started" in output and "bot stopped" in output
    assert fake.token not in output and fake.token.split(":")[1] not in output


SPAWN_BOT = """
import logging
from lottery.bot.app import build_application
from lottery.config import Settings
from lottery.logs import configure_logging
from lottery.store.connection import connect
settings = Settings.from_env(dotenv=False)
configure_logging(settings, "bot")
app = build_application(settings, connect(settings.redis_url), tick_seconds=0.5, owner_ttl=2.0)
app.run_polling(allowed_updates=["message"])
"""


def test_a_bot_killed_mid_broadcast_loses_no_chat_and_sends_none_twice(r, fake, bot_settings,
                                                                      redis_url, caplog):
    """SIGKILL a real bot while the production rate limiter (30 msg/s) still queues chats."""
    caplog.set_level(logging.INFO, logger="lottery.bot")
    now = datetime.now(timezone.utc)
    ids = list(range(2000, 2100))
    subscribe(r, ids, now)
    issue = seed(r, now + timedelta(seconds=60), publish=False)  # drawn 60-120 s from now
    env = {**os.environ, "REDIS_URL": redis_url, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "GAMES": GAME, "LOG_LEVEL": "WARNING"}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", SPAWN_BOT], cwd=root, env=env)
    try:
        fake.wait_for(lambda f: len(f.sent) >= 45, timeout=30)  # the second chunk is under way
    finally:
        proc.kill()
        proc.wait()
    killed_at = len(fake.sent)
    assert killed_at < len(ids), "the broadcast finished before the kill"
    # The dead process's in-flight sends are its own until its liveness key lapses.
    owners = [k for k in r.scan_iter(match=keys.bot_process("*"))]
    deadline = time.monotonic() + 10
    while any(r.exists(k) for k in owners):  # an expiry has no event to await
        assert time.monotonic() < deadline
        time.sleep(0.1)

    async def restarted():
        app = make_app(bot_settings, FakeClock(datetime.now(timezone.utc)), tick_seconds=0.2)
        async with running(app):
            await app.bot_data["service"].deliver_latest(GAME)  # waits for the start's delivery

    arun(restarted())
    per_chat = fake.sends_per_chat()
    states = chats.delivery_states(r, GAME, issue)
    unknown = sorted(c for c, v in states.items() if v == "x:unknown")
    assert max(per_chat.values()) == 1  # never twice
    # Every chat got it, except (perhaps) some whose request was on the wire at the kill:
    # those are not resent, and the log names them.
    assert set(ids) - set(per_chat) <= set(unknown)
    assert set(states) == set(ids) and set(states.values()) <= {"d", "x:unknown"}
    assert len(unknown) <= 30  # at most the one chunk that was under way
    if unknown:
        logged = "\n".join(rec.getMessage() for rec in caplog.records)
        assert "not resent to" in logged and ", ".join(map(str, unknown)) in logged


# -- sessions are not reset without asking; schedules respect a reached target (issue 16) ---
def test_start_or_game_on_a_running_session_asks_before_resetting(r, fake, bot_settings, clock):
    chat = 1401
    subscribe(r, [chat], clock.now())
    chats.record_outcomes(r, [(chat, True, "2026-03-01")])

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            for n, command in enumerate(["/START", "/game wingo_1m", "/start"], start=1):
                fake.command(chat, command)
                await fake.reply_to(chat, n)
            assert chats.get_chat(r, chat).session_wins == 1  # nothing was reset
            fake.button(chat, "reset:WinGo_1M")
            await fake.reply_to(chat, 4)
            fake.command(chat, "/game WINGO_30S")
            await fake.reply_to(chat, 5)
        return fake.texts(chat)

    texts_ = arun(scenario())
    for text in texts_[:3]:
        assert text.startswith("Your WinGo_1M session is already running: 1 hit / 0 misses")
        assert "/reset" in text
    buttons = [json.loads(s.params["reply_markup"]) for s in fake.sent if "reply_markup" in s.params]
    assert buttons[0]["inline_keyboard"][0][0]["callback_data"] == "reset:WinGo_1M"
    assert texts_[3].startswith("New WinGo_1M session started: counts are back to 0")
    assert texts_[4].startswith("Switched to WinGo_30S: the WinGo_1M session ended "
                                "(0 hits / 0 misses)")
    state = chats.get_chat(r, chat)
    assert (state.game, state.subscribed, state.session_wins) == ("WinGo_30S", True, 0)


def test_a_daily_start_does_not_undo_a_win_target_reached_that_day(r, fake, bot_settings, clock):
    chat = 1501
    subscribe(r, [chat], clock.now())
    chats.set_fields(r, chat, win_limit=1)
    chats.toggle_schedule(r, chat, "12:02")

    async def scenario():
        app = make_app(bot_settings, clock)
        async with running(app):
            await fake.reply_to(chat, 1)  # the 5-minute reminder, fired at start
            seed(r, clock.now())
            await fake.reply_to(chat, 2)
            clock.advance(60)
            seed(r, clock.now(), previous_digit=9)  # a hit: the target of 1 is reached
            await fake.reply_to(chat, 3)
            clock.advance(45)  # 12:02:15: the daily start is due
            assert await app.bot_data["service"].run_schedules() == 1
            return await fake.reply_to(chat, 4)

    texts_ = arun(scenario())
    assert texts_[0].startswith("Reminder: your daily WinGo_1M session starts at 12:02")
    assert texts_[2].startswith(f"{GAME}: win target reached — session ended.")
    assert texts_[3].startswith("Daily start 12:02 skipped: your win target was reached today")
    assert not chats.get_chat(r, chat).subscribed


def test_ai_on_without_a_key_says_it_cannot_and_changes_nothing(r, fake, bot_settings, clock):
    r.hset(keys.AI_STATUS, "key_configured", "0")  # as the AI worker reports it

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            fake.command(ADMIN, "/ai_on")
            return await fake.reply_to(ADMIN)

    assert arun(scenario())[0].startswith(
        "The AI cannot be switched on: the AI worker has no API key (set AI_API_KEYS")
    assert r.get(keys.AI_ENABLED) is None


def test_stats_leads_with_the_live_predictor_and_shows_the_rest_on_request(r, fake, bot_settings,
                                                                          clock):
    first = seed(r, clock.now() - timedelta(seconds=60), publish=False)
    recorder.record(r, GAME, first, {"markov": from_probs("markov", [0.1] * 10)})
    seed(r, clock.now(), previous_digit=8, publish=False)  # resolves both predictors

    async def scenario():
        async with running(make_app(bot_settings, clock)):
            fake.command(106, "/stats")
            await fake.reply_to(106, 1)
            fake.button(106, "stats:all")
            await fake.reply_to(106, 2)
            fake.command(106, "/stats ALL")
            return await fake.reply_to(106, 3)

    short, from_button, full = arun(scenario())
    assert short.split("\n")[2] == "Live calls come from predictor: overdue"
    assert "Big/Small: 1/1 hits = 100.0% (n=1; chance 50.0%; 95% CI" in short
    assert "/stats all" in short and "markov" not in short
    button = json.loads(next(s.params["reply_markup"] for s in fake.sent
                             if "reply_markup" in s.params))
    assert button["inline_keyboard"][0][0]["callback_data"] == "stats:all"
    assert from_button == full
    assert full.split("\n")[2] == "Live calls come from predictor: overdue"
    assert "Predictor: markov" in full and "/stats all" not in full


def test_the_bot_warms_what_the_first_stats_needs_at_start(fake, redis_url, tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "REDIS_URL": redis_url, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
    # -X importtime writes a line per module as it is imported.
    proc = subprocess.Popen([sys.executable, "-X", "importtime", str(root / "bot.py")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        while "/stats warmed in" not in line:
            assert line, "the bot exited before warming /stats"
            line = proc.stdout.readline()
        fake.command(1302, "/stats")
        fake.wait_for(lambda f: len(f.texts(1302)) >= 1, timeout=30)
        proc.send_signal(signal.SIGTERM)
        after_warm, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert fake.texts(1302)[0].startswith("WinGo_1M scoreboard")
    imported_later = [l for l in after_warm.splitlines() if l.startswith("import time:")]
    assert not [l for l in imported_later if "scipy" in l or "lottery.evaluation" in l]
