"""The http draw source against a real HTTP server on 127.0.0.1, and its parser."""
from __future__ import annotations

import contextlib
import logging
import socket
from datetime import date, datetime, timezone

import httpx
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from httpfake import FakeServer, Reply, Request

from lottery.config import Settings
from lottery.games import GAMES, get_game

WINGO_CODES = sorted(c for c, g in GAMES.items() if g.family == "wingo")  # period-clock games
from lottery.sources import http_source
from lottery.sources.base import SourceError
from lottery.sources.base import parse_drawn_at
from lottery.sources.http_source import HttpSource, parse_history, safe_url

G = get_game("WinGo_1M")
NOW = datetime(2025, 8, 28, 4, 59, 30, tzinfo=timezone.utc)
TOKEN = "s3cret-upstream-token"


def issue(seq: int, day: date = date(2025, 8, 28)) -> str:
    return G.make_issue(day, seq)


def page(*items) -> dict:
    return {"code": 0, "msg": "Succeed", "data": {"list": list(items)}}


def item(seq: int, number, **extra) -> dict:
    return {"issueNumber": issue(seq), "number": number, **extra}


def make_source(url: str, *, timeout: float = 1.0, retries: int = 3, token: str | None = None,
                sleeps: list | None = None, **kwargs) -> HttpSource:
    cfg = Settings.from_env({}, dotenv=False).with_(
        source="http", source_url=url, source_timeout=timeout, source_retries=retries,
        source_token=token)
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return HttpSource(cfg, backoff_initial=0.01, backoff_max=0.05, sleep=sleep, **kwargs)


def fetch(src: HttpSource, after: str | None = None, until: str | None = None, game=G):
    try:
        return src.fetch(game, after, until or game.last_settled_issue(NOW), NOW)
    finally:
        src.close()


@pytest.fixture(scope="module")
def _server():
    # One server for the module: starting and stopping one costs ~0.5 s each time.
    with FakeServer(lambda req: Reply(500)) as srv:
        yield srv


@pytest.fixture
def serve(_server):
    """Return `serve(handler)`: the module's server, answering with `handler` from now on."""
    @contextlib.contextmanager
    def use(handler):
        _server.requests.clear()
        _server.handler = handler
        yield _server
    return use


def scripted(*replies: Reply):
    """Return a handler giving these replies in turn (the last one repeats)."""
    queue = list(replies)

    def handler(req: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return handler


# -- fetching -----------------------------------------------------------------------
def test_page_out_of_order_is_filtered_and_sorted(serve):
    # 2025-08-28 04:59:30 UTC: issue 300 is open, 299 is the newest settled one.
    body = page(item(298, "3"), item(295, 0), item(299, "9", drawTime="2025-08-28T04:59:00Z"),
                item(300, "5"), item(296, "7"), item(297, 1))
    with serve(lambda req: Reply(body=body)) as srv:
        draws = fetch(make_source(srv.url + "/history"), after=issue(296))
    assert [(d.issue, d.outcome) for d in draws] == [(issue(297), 1), (issue(298), 3),
                                                   (issue(299), 9)]
    assert all(d.source == "http" and d.game == "WinGo_1M" for d in draws)
    assert draws[0].drawn_at == G.draw_time(issue(297)).isoformat()
    assert draws[2].drawn_at == "2025-08-28T04:59:00+00:00"


def test_first_fetch_without_known_issue_returns_whole_settled_page(serve):
    body = page(item(299, "2"), item(298, "4"))
    with serve(lambda req: Reply(body=body)) as srv:
        draws = fetch(make_source(srv.url + "/h"))
    assert [d.issue for d in draws] == [issue(298), issue(299)]


def test_game_placeholder_and_bearer_token_and_query_kept(serve):
    g3 = get_game("WinGo_3M")
    with serve(lambda req: Reply(body=page())) as srv:
        assert fetch(make_source(srv.url + "/api/{game}/history?pageSize=10", token=TOKEN),
                     game=g3) == []
        req = srv.requests[0]
    assert req.path == "/api/WinGo_3M/history"
    assert req.query == {"pageSize": ["10"]}
    assert req.headers["authorization"] == f"Bearer {TOKEN}"


def test_no_token_sends_no_authorization_header(serve):
    with serve(lambda req: Reply(body=page())) as srv:
        fetch(make_source(srv.url))
        assert "authorization" not in srv.requests[0].headers


def test_timeout_is_retried_then_gives_up(serve):
    with serve(lambda req: Reply(body=page(), delay=0.6)) as srv:
        with pytest.raises(SourceError, match="timeout"):
            fetch(make_source(srv.url, timeout=0.1, retries=2))
        assert len(srv.wait_for_requests(2)) == 2


def test_429_then_success_honours_small_retry_after(serve):
    sleeps: list[float] = []
    handler = scripted(Reply(429, {"msg": "slow down"}, headers={"Retry-After": "2"}),
                       Reply(body=page(item(299, "6"))))
    with serve(handler) as srv:
        draws = fetch(make_source(srv.url, sleeps=sleeps))
        assert len(srv.requests) == 2
    assert [d.outcome for d in draws] == [6]
    assert sleeps == [2.0]


def test_429_with_long_retry_after_gives_up_at_once(serve):
    with serve(lambda req: Reply(429, headers={"Retry-After": "3600"})) as srv:
        with pytest.raises(SourceError, match="3600"):
            fetch(make_source(srv.url))
        assert len(srv.requests) == 1


def test_500_then_success(serve):
    sleeps: list[float] = []
    handler = scripted(Reply(500, "boom"), Reply(502, "bad gateway"),
                       Reply(body=page(item(299, 4))))
    with serve(handler) as srv:
        draws = fetch(make_source(srv.url, sleeps=sleeps))
        assert len(srv.requests) == 3
    assert [d.outcome for d in draws] == [4]
    assert len(sleeps) == 2 and all(0 < s <= 0.05 + 0.01 for s in sleeps)  # jittered backoff


def test_persistent_5xx_gives_up_after_bounded_attempts(serve):
    with serve(lambda req: Reply(503, "down")) as srv:
        with pytest.raises(SourceError, match="HTTP 503 after 4 attempt"):
            fetch(make_source(srv.url, retries=4))
        assert len(srv.requests) == 4


def test_total_time_bound_stops_retrying_before_attempts_run_out(serve):
    cfg = Settings.from_env({}, dotenv=False).with_(source_url="x", source_retries=10)
    with serve(lambda req: Reply(500)) as srv:
        src = HttpSource(cfg.with_(source_url=srv.url), backoff_initial=5.0, max_elapsed=1.0,
                         sleep=lambda s: pytest.fail("must not sleep past the time bound"))
        with pytest.raises(SourceError):
            fetch(src)
        assert len(srv.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(serve, status):
    with serve(lambda req: Reply(status, {"msg": "no"})) as srv:
        with pytest.raises(SourceError, match=f"HTTP {status}"):
            fetch(make_source(srv.url))
        assert len(srv.requests) == 1


def test_redirect_is_not_followed(serve):
    with serve(lambda req: Reply(301, headers={"Location": "http://127.0.0.1:9/x"})) as srv:
        with pytest.raises(SourceError, match="HTTP 301"):
            fetch(make_source(srv.url, token=TOKEN))
        assert len(srv.requests) == 1


def test_connection_refused_is_retried_then_source_error():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(SourceError, match="ConnectError after 3 attempt"):
        fetch(make_source(f"http://127.0.0.1:{port}/h", sleeps=sleeps))
    assert len(sleeps) == 2


def test_invalid_url_is_a_source_error():
    with pytest.raises(SourceError):
        fetch(make_source("ftp://127.0.0.1/history"))


@pytest.mark.parametrize("reply", [
    Reply(body="<html>maintenance</html>"),
    Reply(body=b"\xff\xfe\x00garbage"),
    Reply(body="[" * 100_000),
    Reply(body={"code": 0, "data": {"items": []}}),
    Reply(body={"code": 0, "data": {"list": {"issueNumber": "1"}}}),
    Reply(body=[1, 2, 3]),
    Reply(body="null"),
])
def test_malformed_bodies_give_no_draws_and_a_warning(serve, reply, caplog):
    with serve(lambda req: reply) as srv, caplog.at_level(logging.WARNING):
        assert fetch(make_source(srv.url)) == []
        assert len(srv.requests) == 1  # malformed is not retried
    assert any(rec.levelno == logging.WARNING and "lottery.sources.http" == rec.name
               for rec in caplog.records)


def test_oversized_body_is_ignored(serve, monkeypatch, caplog):
    monkeypatch.setattr(http_source, "MAX_BODY_BYTES", 1000)
    body = page(*[item(seq, seq % 10) for seq in range(1, 200)])
    with serve(lambda req: Reply(body=body)) as srv, caplog.at_level(logging.WARNING):
        assert fetch(make_source(srv.url)) == []
    assert "larger than 1000 bytes" in caplog.text


def test_unexpected_failure_surfaces_as_source_error(serve):
    with serve(lambda req: Reply(body=page(item(299, 1)))) as srv:
        with pytest.raises(SourceError, match="ValueError"):
            fetch(make_source(srv.url), after="not-an-issue")


def test_upstream_error_code_is_reported(serve, caplog):
    body = {"code": 401, "msg": "token expired", "data": None}
    with serve(lambda req: Reply(body=body)) as srv, caplog.at_level(logging.WARNING):
        assert fetch(make_source(srv.url)) == []
    assert "token expired" in caplog.text and "401" in caplog.text


def test_bad_items_are_skipped_and_good_ones_kept(serve, caplog):
    body = page(item(290, "1"), "not an object", {"number": "3"}, item(291, "12"),
                {"issueNumber": "2025-08-28", "number": 4}, item(292, None), item(293, "x"),
                item(294, "8", drawTime="yesterday"), item(295, True), item(296, "5"),
                item(296, "6"))
    with serve(lambda req: Reply(body=body)) as srv, caplog.at_level(logging.WARNING):
        draws = fetch(make_source(srv.url))
    assert [(d.issue, d.outcome) for d in draws] == [(issue(290), 1), (issue(296), 5)]
    assert "skipped 9 malformed" in caplog.text


def test_token_never_appears_in_logs(serve, caplog):
    handler = scripted(Reply(500), Reply(429), Reply(body="not json"),
                       Reply(body={"code": 0, "data": {"list": [{"issueNumber": TOKEN}]}}),
                       Reply(404))
    caplog.set_level(logging.DEBUG)  # httpx/httpcore debug logging included
    with serve(handler) as srv:
        src = make_source(srv.url + "/h", token=TOKEN)
        assert src.fetch(G, None, issue(299), NOW) == []  # 500, 429, then not JSON
        assert src.fetch(G, None, issue(299), NOW) == []  # an item echoing the token
        with pytest.raises(SourceError) as err:
            src.fetch(G, None, issue(299), NOW)
        src.close()
        assert len(srv.requests) == 5
    messages = [rec.getMessage() for rec in caplog.records]
    assert any("item 0" in m for m in messages)  # the echoing item was logged, redacted
    assert any("HTTP 500" in m for m in messages) and any("not JSON" in m for m in messages)
    assert not [m for m in messages if TOKEN in m]
    assert TOKEN not in str(err.value)


def test_client_passed_in_is_used_and_left_open(serve):
    with serve(lambda req: Reply(body=page(item(299, 2)))) as srv:
        with httpx.Client(headers={"User-Agent": "lottery-test"}) as client:
            cfg = Settings.from_env({}, dotenv=False).with_(source_url=srv.url)
            src = HttpSource(cfg, client=client)
            assert [d.outcome for d in src.fetch(G, None, issue(299), NOW)] == [2]
            src.close()
            assert not client.is_closed
        assert srv.requests[0].headers["user-agent"] == "lottery-test"
    assert src.can_backfill() is False and src.name == "http"


def test_constructor_needs_url():
    with pytest.raises(ValueError, match="SOURCE_URL"):
        HttpSource(Settings.from_env({}, dotenv=False))


def test_safe_url_drops_credentials_and_query():
    assert safe_url("https://u:pw@api.example.com:8443/h?token=abc#x") == \
        "https://api.example.com:8443/h"


# -- the parser -----------------------------------------------------------------------
def test_parse_history_paths_fields_and_timestamps():
    payload = {"result": [{"pages": [{"no": "20250828100010001", "n": 0,
                                      "drawn_at": 1756339260000},
                                     {"no": 20250828100010002, "n": "9",
                                      "drawn_at": "2025-08-28T02:01:00+02:00"}]}]}
    draws, problems = parse_history(payload, G, "result.0.pages", "no", "n")
    assert problems == []
    assert [(d.issue, d.outcome, d.drawn_at) for d in draws] == [
        ("20250828100010001", 0, "2025-08-28T00:01:00+00:00"),
        ("20250828100010002", 9, "2025-08-28T00:01:00+00:00")]


def test_parse_history_keeps_issue_strings_as_given():
    odd = "2025082899999" + "0007"  # another platform's game code, still a valid issue
    draws, problems = parse_history(page({"issueNumber": odd, "number": "7"}), G, "data.list",
                                    "issueNumber", "number")
    assert problems == [] and draws[0].issue == odd


def test_parse_history_problems_stay_short():
    _, problems = parse_history(page({"issueNumber": "9" * 100_000, "number": 1}), G,
                                "data.list", "issueNumber", "number")
    assert len(problems) == 1 and len(problems[0]) <= 200


def test_parse_drawn_at_rejects_nonsense():
    for bad in ("", "soon", True, None, [], 1e300, "2025-13-01T00:00:00"):
        with pytest.raises(ValueError):
            parse_drawn_at(bad)
    assert parse_drawn_at("2025-08-28 10:00:00") == "2025-08-28T10:00:00+00:00"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)
item_like = st.fixed_dictionaries({}, optional={
    "issueNumber": st.text(alphabet="0123456789", max_size=20) | json_values,
    "number": st.sampled_from(["0", "5", "9", 3, "10", "", " 7 ", -1]) | json_values,
    "drawTime": st.text(max_size=25) | st.integers() | json_values,
})


@hsettings(max_examples=200, deadline=None)
@given(payload=json_values | st.builds(page) | st.lists(item_like, max_size=8).map(
    lambda items: page(*items)),
    path=st.sampled_from(["data.list", "", "data", "0", "data.list.0"]))
def test_parse_history_never_raises(payload, path):
    draws, problems = parse_history(payload, G, path, "issueNumber", "number")
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
    ordinals = [G.issue_ordinal(d.issue) for d in draws]
    assert ordinals == sorted(set(ordinals))
    assert all(0 <= d.outcome <= 9 for d in draws)


valid_items = st.lists(
    st.tuples(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
              st.integers(1, 1440), st.integers(0, 9), st.booleans()),
    max_size=30, unique_by=lambda t: (t[0], t[1]))


@hsettings(max_examples=100, deadline=None)
@given(rows=valid_items, code=st.sampled_from(WINGO_CODES))
def test_parse_history_round_trips_valid_items(rows, code):
    game = get_game(code)
    rows = [(d, min(seq, game.periods_per_day), n, as_text) for d, seq, n, as_text in rows]
    rows = list({(d, seq): (d, seq, n, t) for d, seq, n, t in rows}.values())
    items = [{"issueNumber": game.make_issue(d, seq), "number": str(n) if as_text else n}
             for d, seq, n, as_text in rows]
    draws, problems = parse_history(page(*items), game, "data.list", "issueNumber", "number")
    assert problems == []
    expected = sorted(((game.make_issue(d, seq), n) for d, seq, n, _ in rows),
                      key=lambda t: game.issue_ordinal(t[0]))
    assert [(d.issue, d.outcome) for d in draws] == expected
    assert all(d.drawn_at == game.draw_time(d.issue).isoformat() for d in draws)
