"""The crash `http` source against a real HTTP server on 127.0.0.1: paging, incremental polls,
hash checks and failures (5xx, bad JSON, bad rows: the poll is rejected, nothing stored)."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from httpfake import FakeServer, Reply, Request

from lottery.config import ConfigError, Settings
from lottery.games import get_game
from lottery.games.crash import PROFILES, generate_chain
from lottery.sources.base import SourceError
from lottery.sources.crash_http import BadRows, CrashHttpSource, parse_rounds
from lottery.sources.http_source import HttpSource
from lottery.store import draws
from lottery.worker import Worker

G = get_game("Crash")
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
V2 = PROFILES["bustabit_v2"]
HASHES = generate_chain("test chain", 300, V2.link)  # play order: HASHES[0] is round 1


def history(n: int = 250, start: int = 1) -> list[dict]:
    """Rounds start..start+n-1 with real bustabit v2 multipliers, newest first (as GET /games/)."""
    rows = [{"game_id": str(i), "crash_point": V2.multiplier(HASHES[i - 1]),
             "hash_value": HASHES[i - 1], "end_time": f"2026-01-01T00:{i // 60 % 60:02d}:00Z"}
            for i in range(start, start + n)]
    return rows[::-1]


def games_api(rows: list[dict]):
    """A handler serving /games/?skip=&limit= over `rows` (newest first)."""
    def handler(req: Request) -> Reply:
        skip, limit = int(req.query["skip"][0]), int(req.query["limit"][0])
        return Reply(200, rows[skip:skip + limit])
    return handler


def settings_for(url: str, **crash) -> Settings:
    return Settings.from_env({}, dotenv=False).with_(
        source="http", source_url=url, source_timeout=1.0, source_retries=3,
        **{f"crash_source_{k}": v for k, v in crash.items()})


@pytest.fixture(scope="module")
def server():
    with FakeServer(lambda req: Reply(500)) as srv:
        yield srv


@pytest.fixture
def serve(server):
    def use(handler, **crash):
        server.requests.clear()
        server.handler = handler
        url = server.url + "/games/?skip={offset}&limit={limit}"
        return CrashHttpSource(settings_for(url, page_size=100, **crash),
                               backoff_initial=0.01, backoff_max=0.02, sleep=lambda s: None)
    return use


def test_pages_back_until_the_stored_rounds_and_returns_the_new_ones_oldest_first(serve, server):
    src = serve(games_api(history(250)))
    got = src.fetch(G, "120", None, NOW)
    assert [d.issue for d in got] == [str(i) for i in range(121, 251)]
    assert got[0].outcome == V2.multiplier(HASHES[120]) and got[0].source == "http"
    assert got[0].drawn_at.startswith("2026-01-01T00:02:00")
    assert [r.query["skip"] for r in server.requests] == [["0"], ["100"]]  # page 2 reached 120


def test_a_first_start_reads_one_page_and_a_caught_up_poll_one_request(serve, server):
    src = serve(games_api(history(250)))
    assert [d.issue for d in src.fetch(G, None, None, NOW)] == [str(i) for i in range(151, 251)]
    assert len(server.requests) == 1
    assert src.fetch(G, "250", None, NOW) == [] and len(server.requests) == 2


def test_the_page_cap_bounds_a_catch_up(serve, server, caplog):
    src = serve(games_api(history(250)), max_pages=2)
    with caplog.at_level(logging.WARNING, "lottery.sources.crash_http"):
        got = src.fetch(G, "10", None, NOW)
    assert [d.issue for d in got] == [str(i) for i in range(51, 251)]  # older: recorded missing
    assert len(server.requests) == 2 and "pages short of round 10" in caplog.text


def test_after_placeholder_and_a_list_path(server):
    server.requests.clear()
    server.handler = lambda req: Reply(200, {"data": {"rounds": history(3, 41)}})
    src = CrashHttpSource(settings_for(server.url + "/h?after={after}", list_path="data.rounds"),
                          sleep=lambda s: None)
    assert [d.issue for d in src.fetch(G, "41", None, NOW)] == ["42", "43"]
    assert server.requests[0].query == {"after": ["41"]}


def test_5xx_is_retried_then_served(serve, server):
    replies = [Reply(503), Reply(502)]
    rows = history(5)
    src = serve(lambda req: replies.pop(0) if replies else Reply(200, rows))
    assert len(src.fetch(G, None, None, NOW)) == 5 and len(server.requests) == 3


def test_persistent_5xx_is_a_source_error(serve, server):
    src = serve(lambda req: Reply(500))
    with pytest.raises(SourceError, match="HTTP 500"):
        src.fetch(G, None, None, NOW)
    assert len(server.requests) == 3  # SOURCE_RETRIES attempts, then it gives up


def test_bad_json_is_rejected_with_a_log(serve, caplog):
    src = serve(lambda req: Reply(200, b"[{\"game_id\": 1, "))
    with caplog.at_level(logging.WARNING, "lottery.sources.crash_http"), \
            pytest.raises(SourceError, match="not JSON"):
        src.fetch(G, None, None, NOW)
    assert "malformed body" in caplog.text and "nothing stored" in caplog.text


@pytest.mark.parametrize("bad, reason", [
    ("abc", "not a multiplier"), (0.5, "at least 1.00"), (None, "missing"),
    (1e12, "absurdly large"), (True, "a number"), ("2.345", "not a multiplier")])
def test_a_bad_multiplier_rejects_the_whole_poll(serve, caplog, bad, reason):
    rows = history(5)
    rows[2]["crash_point"] = bad
    src = serve(lambda req: Reply(200, rows))
    with caplog.at_level(logging.WARNING, "lottery.sources.crash_http"), \
            pytest.raises(SourceError, match="bad rows"):
        src.fetch(G, None, None, NOW)
    assert "row 2" in caplog.text and reason in caplog.text and "nothing stored" in caplog.text


def test_nan_in_the_body_is_rejected(serve):
    src = serve(lambda req: Reply(200, b'[{"game_id": "7", "crash_point": NaN}]'))
    with pytest.raises(SourceError, match="finite"):
        src.fetch(G, None, None, NOW)


def test_a_bad_row_on_a_later_page_stores_nothing_from_the_earlier_ones(serve, server):
    rows = history(250)
    rows[150]["crash_point"] = -3  # round 100, on the second page
    src = serve(games_api(rows))
    with pytest.raises(SourceError, match="row 50"):
        src.fetch(G, "20", None, NOW)
    assert len(server.requests) == 2


def test_a_repeated_round_with_another_multiplier_is_rejected(serve):
    rows = history(3)
    rows.append({**rows[0], "crash_point": 1.0, "hash_value": None})
    with pytest.raises(SourceError, match="repeated"):
        serve(lambda req: Reply(200, rows)).fetch(G, None, None, NOW)


def test_hashes_are_checked_against_the_profile_and_the_chain(serve):
    rows = history(5)
    assert len(serve(lambda req: Reply(200, rows), profile="bustabit_v2")
               .fetch(G, None, None, NOW)) == 5
    lied = [dict(r) for r in rows]
    lied[1]["crash_point"] = 1234.0
    with pytest.raises(SourceError, match="the hash gives"):
        serve(lambda req: Reply(200, lied), profile="bustabit_v2").fetch(G, None, None, NOW)
    swapped = [dict(r) for r in rows]
    # Round 3 gets round 5's hash and multiplier: each row checks, the chain does not.
    swapped[2].update(hash_value=rows[0]["hash_value"], crash_point=rows[0]["crash_point"])
    with pytest.raises(SourceError, match="does not chain"):
        serve(lambda req: Reply(200, swapped), profile="bustabit_v2").fetch(G, None, None, NOW)
    # Without a profile the hash is not checked.
    assert len(serve(lambda req: Reply(200, lied)).fetch(G, None, None, NOW)) == 5


def test_draw_source_http_reads_crash_through_its_own_reader_and_stores_nothing_in_part(
        server, settings, r):
    """Through the worker: a good poll stores every round; a bad one stores none of its rows."""
    rows = history(250)
    server.handler = games_api(rows)
    cfg = settings.with_(games=("Crash",), source="http",
                         source_url=server.url + "/games/?skip={offset}&limit={limit}")
    source = HttpSource(cfg, backoff_initial=0.01, backoff_max=0.02, sleep=lambda s: None)
    worker = Worker(cfg, r, source)
    worker.step("Crash")
    assert draws.latest_issue(r, "Crash") == "250" and draws.count(r, "Crash") == 100
    more = history(260)
    more[3]["crash_point"] = "oops"  # round 257 of 251..260
    server.handler = games_api(more)
    worker.step("Crash")
    assert draws.latest_issue(r, "Crash") == "250" and draws.count(r, "Crash") == 100
    more[3]["crash_point"] = 2.5
    worker.step("Crash")
    assert draws.latest_issue(r, "Crash") == "260" and draws.count(r, "Crash") == 110
    source.close()


@pytest.mark.parametrize("env, name", [({"CRASH_SOURCE_PROFILE": "nope"}, "unknown profile"),
                                       ({"CRASH_SOURCE_PROFILE": "clone_33"}, "no published salt"),
                                       ({"CRASH_SOURCE_PAGE_SIZE": "0"}, "at least 1")])
def test_bad_crash_source_settings_are_refused(env, name):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env, dotenv=False)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                     | st.text(max_size=8),
                     lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.sampled_from(["game_id", "crash_point", "hash_value",
                                                        "x", "end_time"]), kids, max_size=4),
                     max_leaves=12)


@hsettings(max_examples=200, deadline=None)
@given(_json)
def test_parse_rounds_returns_valid_rounds_or_raises_bad_rows(payload):
    try:
        rounds = parse_rounds(payload, G, "", "game_id", "crash_point", "hash_value",
                              "bustabit_v2")
    except BadRows:
        return
    for draw, _ in rounds:
        assert draw.outcome >= 1.0 and math.isfinite(draw.outcome)
