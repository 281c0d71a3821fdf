"""The bot's pieces on their own: parsers, schedule maths, texts, the Redis chat store."""
from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

from conftest import join_thread
from lottery import keys
from lottery.reports import wingo as report
from lottery.bot import chats, schedule, sender, texts, wingo_texts
from lottery.bot.app import file_url
from lottery.logs import RedactSecrets
from lottery.bot.handlers import scoreboard_sections
from lottery.store import scores as recorder
from lottery.games import get_game
from lottery.predictors.wingo.base import from_probs
from lottery.sources.base import Draw
from lottery.store import draws, predictions

TOKEN = "123456:AAE-secret_token"


# -- parsers -------------------------------------------------------------------------------
@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from([":", ".", "h"]))
def test_parse_hhmm_accepts_every_time_of_day(hour, minute, sep):
    assert schedule.parse_hhmm(f" {hour}{sep}{minute:02d} ") == f"{hour:02d}:{minute:02d}"


@given(st.text(max_size=8))
def test_parse_hhmm_returns_a_valid_time_or_raises(text):
    try:
        out = schedule.parse_hhmm(text)
    except ValueError:
        return
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", out)


@pytest.mark.parametrize("bad", ["24:00", "7", "07:60", "-1:00", "12:5", "", "noon"])
def test_parse_hhmm_rejects_bad_times(bad):
    with pytest.raises(ValueError):
        schedule.parse_hhmm(bad)


def test_parse_timezone_validates_iana_names():
    assert schedule.parse_timezone("asia/kolkata") == "Asia/Kolkata"
    assert schedule.parse_timezone("UTC") == "UTC"
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "EST5EDT x", "Kolkata"):
        with pytest.raises(ValueError):
            schedule.parse_timezone(bad)


# -- schedule maths ---------------------------------------------------------------------------
@hyp_settings(max_examples=200)
@given(day=st.dates(datetime(2025, 1, 1).date(), datetime(2027, 12, 31).date()),
       hour=st.integers(0, 23), minute=st.integers(0, 59),
       tz=st.sampled_from(["UTC", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham"]),
       offset=st.integers(-3000, 3000))
def test_reminder_comes_in_the_5_minutes_before_and_start_in_the_grace(day, hour, minute, tz,
                                                                       offset):
    hhmm = f"{hour:02d}:{minute:02d}"
    at = schedule.start_instant(day, hhmm, tz)
    now = (at + timedelta(seconds=offset)).astimezone(timezone.utc)
    kinds = {(d.kind, d.local_day) for d in schedule.due([hhmm], tz, now)}
    expected = set()
    if -300 <= offset < 0:
        expected.add(("remind", day.isoformat()))
    elif 0 <= offset < 600:
        expected.add(("start", day.isoformat()))
    assert kinds == expected


def test_a_start_just_after_midnight_is_reminded_the_evening_before():
    now = datetime(2026, 3, 1, 18, 27, tzinfo=timezone.utc)  # 23:57 in Asia/Kolkata
    [item] = schedule.due(["00:01"], "Asia/Kolkata", now)
    assert (item.kind, item.local_day, item.hhmm) == ("remind", "2026-03-02", "00:01")
    assert schedule.local_day(now, "Asia/Kolkata") == "2026-03-01"
    assert schedule.local_day(now + timedelta(minutes=3), "Asia/Kolkata") == "2026-03-02"


# -- texts ---------------------------------------------------------------------------------------
@given(n=st.integers(1, 100_000), data=st.data(), chance=st.sampled_from([0.1, 0.3, 0.5]),
       verdict=st.sampled_from([None, "no evidence of an edge", "too few draws to judge",
                                "worse than chance"]))
def test_a_rate_is_never_shown_without_n_chance_interval_and_verdict(n, data, chance, verdict):
    hits = data.draw(st.integers(0, n))
    row = {**report.accuracy_block({"n": n, "hits:big_small": hits})["big_small"],
           "chance": chance, "verdict": verdict}
    line = texts.stat_line("Big/Small", row)
    assert f"{hits}/{n} hits" in line and f"n={n}" in line
    assert f"chance {100 * chance:.1f}%" in line and "95% CI" in line
    assert line.endswith("no evidence of an edge over chance") or line.endswith("worse than chance")
    assert "edge (" not in line


def test_only_the_scoreboard_can_say_edge():
    assert texts.verdict_words("edge").startswith("evidence of an edge")
    for other in (None, "", "EDGE?", "no evidence of an edge"):
        assert texts.verdict_words(other) == texts.NO_EDGE
    assert texts.stat_line("Colour", {"n": 0, "chance": 0.5}) == (
        "Colour: no settled predictions yet (chance 50.0%)")


@given(st.lists(st.text(alphabet="ab \n", max_size=120), max_size=40), st.integers(20, 200))
def test_split_message_keeps_every_character_within_the_limit(lines, limit):
    text = "\n".join(lines)
    parts = texts.split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_settled_scores_a_prediction_without_stored_hits():
    pred = {"issue": "x", "numbers": [3, 7, 1], "big_small": "Big", "color": "Green",
            "result": {"number": 7}}
    assert wingo_texts.settled(pred) == (7, {"number": False, "top3": True, "big_small": True,
                                       "color": True})
    assert wingo_texts.settled({**pred, "result": None}) is None
    assert wingo_texts.settled(None) is None


def test_messages_never_suggest_raising_a_stake():
    everything = " ".join([texts.help_text(True, ("WinGo_1M",)), texts.FOOTER,
                           wingo_texts.target_reached_text("WinGo_1M", None, 3, 9)]).lower()
    for word in ("raise", "double", "martingale", "bet more", "increase your"):
        assert word not in everything


# -- stats source ----------------------------------------------------------------------------------
def _settle_one(r, code="WinGo_1M", digit=8):
    game = get_game(code)
    issue = game.issue_at(datetime(2026, 3, 1, 12, 0, 30, tzinfo=timezone.utc))
    pred = from_probs("overdue", [0.05] * 7 + [0.55] + [0.05] * 2)
    recorder.record(r, code, issue, {"overdue": pred, "markov": pred})
    draws.add_draws(r, game, [Draw(code, issue, digit)], 1000)
    recorder.resolve(r, code, issue, digit)
    return pred


def test_stats_come_from_the_scoreboard_grouped_by_predictor(r):
    _settle_one(r)
    sections = scoreboard_sections(r, "WinGo_1M")
    titles = [title for title, _ in sections]
    assert titles == ["Predictor: overdue", "Predictor: markov"]
    labels = dict(sections[0][1])
    assert labels["Big/Small"]["n"] == 1 and labels["Big/Small"]["hits"] == 1


def test_stats_fall_back_to_the_report_accuracy(r):
    report_body = {"game": "WinGo_1M", "predictor": "overdue",
                   "accuracy": report.accuracy_block({"n": 40, "hits:big_small": 22})}
    predictions.write_report(r, "WinGo_1M", json.dumps(report_body).encode())
    [(title, rows)] = scoreboard_sections(r, "WinGo_1M")
    assert title == "Report predictor: overdue"
    big_small = dict(rows)["Big/Small"]
    assert "22/40 hits = 55.0% (n=40; chance 50.0%" in texts.stat_line("Big/Small", big_small)
    assert scoreboard_sections(r, "WinGo_30S") == []


# -- the chat store (real Redis) -----------------------------------------------------------------
def test_a_delivery_is_queued_once_marked_on_the_wire_and_done_only_when_accepted(r):
    for chat_id in (1, 2, 3, 4, 5):
        chats.subscribe(r, chat_id, "WinGo_1M", "i1", "")
    g = "WinGo_1M"
    assert chats.prepare_deliveries(r, g, "i2", "i1", [1, 2, 3], ttl=300) == [
        (1, 10, None), (2, 10, None), (3, 10, None)]
    # Queued but not sent (e.g. a process killed while they waited in the rate limiter):
    # another process may send them, and their outcome is not counted twice.
    assert chats.prepare_deliveries(r, g, "i2", "i1", [1, 2, 3, 4], ttl=300) == [
        (1, 0, None), (2, 0, None), (3, 0, None), (4, 10, None)]
    assert chats.on_wire(r, g, "i2", 1, "w:A") and chats.on_wire(r, g, "i2", 1, "w:A")
    assert not chats.on_wire(r, g, "i2", 1, "w:B")  # out with A: never twice
    chats.finish_delivery(r, g, "i2", 1, "d", ttl=300)
    assert not chats.on_wire(r, g, "i2", 1, "w:A")
    assert chats.on_wire(r, g, "i2", 2, "w:A")  # on the wire when A dies
    chats.finish_delivery(r, g, "i2", 3, "x:failed", ttl=300)
    assert chats.prepare_deliveries(r, g, "i2", "i1", [1, 2, 3], ttl=300) == [
        (1, -1, None), (2, -2, "w:A"), (3, -1, None)]
    assert chats.set_delivery_if(r, g, "i2", 2, "w:A", "x:unknown")
    assert not chats.set_delivery_if(r, g, "i2", 2, "w:A", "x:unknown")
    assert chats.delivery_states(r, g, "i2") == {1: "d", 2: "x:unknown", 3: "x:failed", 4: "c"}
    # Only an accepted message counts as sent for the next issue's session outcome.
    assert chats.prepare_deliveries(r, g, "i3", "i2", [1, 2, 5], ttl=300) == [
        (1, 11, None), (2, 10, None), (5, 10, None)]
    assert 0 < r.ttl(keys.telegram_sent(g, "i2")) <= 300
    assert 0 < r.ttl(keys.telegram_delivery(g, "i2")) <= 300
    chats.unsubscribe(r, 5)  # a /stop during a broadcast: the rest of it skips the chat
    assert not chats.on_wire(r, g, "i3", 5, "w:A")
    assert chats.on_wire(r, g, "i3", 5, "w:A", subscribed_only=False)  # a session's last word
    assert chats.prepare_deliveries(r, g, "i4", "i3", [5], ttl=300) == [(5, -1, None)]


def test_outcomes_roll_the_day_over_and_end_the_session_at_the_target(r):
    chats.subscribe(r, 7, "WinGo_1M", "i1", "2026-03-01T00:00:00+00:00")
    chats.set_fields(r, 7, win_limit=2)
    assert chats.record_outcomes(r, [(7, True, "2026-03-01")]) == {7: (1, 0, False)}
    assert chats.record_outcomes(r, [(7, False, "2026-03-01")]) == {7: (1, 1, False)}
    assert chats.record_outcomes(r, [(7, True, "2026-03-02")]) == {7: (2, 1, True)}
    state = chats.get_chat(r, 7)
    assert (state.day, state.day_wins, state.day_losses) == ("2026-03-02", 1, 0)
    assert state.today_counts("2026-03-03") == (0, 0)
    assert not state.subscribed and not r.sismember(keys.TELEGRAM_SUBSCRIBERS, 7)
    assert chats.record_outcomes(r, [(7, True, "2026-03-02")]) == {}  # session over


def test_a_command_during_counting_is_not_overwritten(r):
    chats.subscribe(r, 8, "WinGo_1M", "i1", "")
    stop = threading.Event()

    def count():
        for _ in range(200):
            chats.record_outcomes(r, [(8, True, "2026-03-01")])
        stop.set()

    worker = threading.Thread(target=count)
    worker.start()
    zones = ["Asia/Kolkata", "Europe/Paris"]
    i = 0
    while not stop.is_set():
        chats.set_fields(r, 8, tz=zones[i % 2])
        i += 1
    join_thread(worker)
    chats.set_fields(r, 8, tz="Europe/Paris")
    state = chats.get_chat(r, 8)
    assert (state.tz, state.session_wins, state.day_wins) == ("Europe/Paris", 200, 200)


def test_schedules_toggle_with_a_cap_and_keep_the_index(r):
    for hour in range(chats.MAX_SCHEDULES):
        assert chats.toggle_schedule(r, 9, f"{hour:02d}:00") == 1
    assert chats.toggle_schedule(r, 9, "07:30") == -1
    assert r.sismember(keys.TELEGRAM_SCHEDULED, 9)
    assert chats.toggle_schedule(r, 9, "05:00") == 0
    assert "05:00" not in chats.get_chat(r, 9).schedules
    assert chats.clear_schedules(r, 9) == chats.MAX_SCHEDULES - 1
    assert not r.sismember(keys.TELEGRAM_SCHEDULED, 9)


def test_idle_chats_expire_and_active_ones_are_kept(r):
    chats.set_fields(r, 10, tz="UTC")
    assert 0 < r.ttl(keys.telegram_chat(10)) <= chats.FORGET_AFTER
    chats.subscribe(r, 10, "WinGo_1M", "i1", "")
    assert r.ttl(keys.telegram_chat(10)) == -1
    assert chats.unsubscribe(r, 10) is True and chats.unsubscribe(r, 10) is False
    assert r.ttl(keys.telegram_chat(10)) > 0
    chats.toggle_schedule(r, 10, "08:00")
    assert r.ttl(keys.telegram_chat(10)) == -1  # a scheduled chat is kept


def test_blocked_and_migrated_chats(r):
    chats.subscribe(r, -5, "WinGo_1M", "i1", "")
    chats.toggle_schedule(r, -5, "08:00")
    chats.migrate_chat(r, -5, -1005)
    assert chats.get_chat(r, -1005).schedules == ["08:00"]
    assert r.smembers(keys.TELEGRAM_SUBSCRIBERS) == {b"-1005"}
    assert r.smembers(keys.TELEGRAM_SCHEDULED) == {b"-1005"}
    chats.forget_chat(r, -1005)
    assert not r.exists(keys.telegram_chat(-1005), keys.TELEGRAM_SUBSCRIBERS,
                        keys.TELEGRAM_SCHEDULED)


def test_subscribers_are_filtered_by_game_and_counted(r):
    for chat_id, code in ((1, "WinGo_1M"), (2, "WinGo_1M"), (3, "WinGo_30S")):
        chats.subscribe(r, chat_id, code, "", "")
    assert sorted(s.chat_id for s in chats.subscribed_chats(r, "WinGo_1M")) == [1, 2]
    assert chats.subscriber_counts(r) == {"WinGo_1M": 2, "WinGo_30S": 1}


# -- secrets --------------------------------------------------------------------------------
def test_redaction_masks_the_token_and_token_urls():
    text = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage and bot999:other-Token_x"
    clean = sender.redact(text, TOKEN)
    assert TOKEN not in clean and "other-Token_x" not in clean and "secret" not in clean


def test_tracebacks_are_folded_into_the_message_and_redacted():
    try:
        raise RuntimeError(f"failed calling https://x/bot{TOKEN}/getMe")
    except RuntimeError:
        record = logging.LogRecord("telegram.ext.Updater", logging.ERROR, __file__, 1,
                                   "polling failed for %s", ("bot",), exc_info=sys.exc_info())
    assert RedactSecrets([TOKEN]).filter(record)
    assert record.exc_info is None and "RuntimeError" in record.getMessage()
    assert TOKEN not in record.getMessage()


def test_file_url_follows_the_base_url():
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


def test_stats_carry_the_power_line_and_the_replayed_record_apart(r):
    from lottery.bot.handlers import replayed_sections
    from lottery.evaluation.backtest import replay

    game = get_game("WinGo_1M")
    assert replayed_sections(r, "WinGo_1M") is None
    import numpy as np
    digits = np.random.default_rng(4).integers(0, 10, 300).tolist()  # fair history
    recorder.save_replay(r, game, replay(game, digits, names=["overdue", "markov"]), 300,
                         "20260301100010100", 0.05)
    _settle_one(r)
    draws_, sections = replayed_sections(r, "WinGo_1M")
    assert draws_ == 300 and [t for t, _ in sections] == ["Predictor: overdue", "Predictor: markov"]
    big_small = dict(sections[1][1])["Big/Small"]
    assert big_small["n"] == 300
    text, more = texts.stats_text("WinGo_1M", scoreboard_sections(r, "WinGo_1M"), "markov",
                                  False, (draws_, sections))
    live, _, replayed = text.partition("Replayed, not live")
    assert "Big/Small: 1/1 hits" in live and "n=300" not in live  # never merged
    assert "walked forward over 300 back-filled draws" in replayed
    assert "Predictor: markov" in replayed and "Predictor: overdue" not in replayed
    assert "n=300; chance 50.0%" in replayed
    line = texts.stat_line("Big/Small", big_small)
    assert big_small["verdict"] == "no evidence of an edge"
    assert line.splitlines()[1].strip() == big_small["power"]
    assert big_small["power"].startswith("With n = 300, an edge of ")
    # With no live record yet, the replayed one is still shown, labelled.
    text, _ = texts.stats_text("WinGo_1M", [], None, False, (draws_, sections))
    assert "No settled predictions yet." in text and "Replayed, not live" in text
    assert texts.verdict_words("better than chance").startswith("better than chance (corrected)")
