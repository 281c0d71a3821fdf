"""Recorder and scoreboard on the real Redis server: bounded storage, idempotency, races,
windows, the live path agreeing with the backtest, and the honesty properties."""
import threading

import numpy as np
import pytest
import redis
from scipy import stats as sst

from conftest import join_thread
from lottery import keys
from lottery.config import DEFAULT_GAME
from lottery.evaluation import scoreboard
from lottery.store import scores as recorder
from lottery.evaluation.backtest import backtest
from lottery.store.scores import get_prediction, record, resolve
from lottery.games import get_game
from lottery.predictors.wingo.registry import PREDICTOR_NAMES, build_predictors
from lottery.sources.base import Draw
from lottery.store import draws
from lottery.web import create_app

GAME = get_game(DEFAULT_GAME)
START = "20250101100010001"
FIXED = {"numbers": [0, 1, 2], "big_small": "Big", "color": "Red"}


def issues(n, start=START):
    out = [start]
    while len(out) < n:
        out.append(GAME.next_issue(out[-1]))
    return out


def settle(r, issue, digit):
    draws.add_draws(r, GAME, [Draw(GAME.code, issue, digit)], 100_000)
    return resolve(r, GAME.code, issue, digit)


def live_run(r, digits, seed=0, extra=None):
    """Drive the worker's path: record before each draw, store it, resolve, feed."""
    preds = build_predictors(seed=seed)
    for issue, d in zip(issues(len(digits)), digits):
        batch = {p.name: p.predict() for p in preds}
        if extra:
            batch.update(extra(issue))
        record(r, GAME.code, issue, batch)
        settle(r, issue, d)
        for p in preds:
            p.update(d)


def test_record_stores_once_and_resolve_counts_once(r):
    issue = issues(1)[0]
    assert record(r, GAME.code, issue, {"fixed": FIXED, "other": FIXED}) == ["fixed", "other"]
    assert record(r, GAME.code, issue, {"fixed": {**FIXED, "color": "Green"}}) == []
    assert get_prediction(r, GAME.code, issue, "fixed") == FIXED
    assert get_prediction(r, GAME.code, issue, "nobody") is None
    assert 0 < r.ttl(keys.eval_issue(GAME.code, issue)) <= recorder.PREDICTION_TTL
    assert settle(r, issue, 1) == 2
    assert resolve(r, GAME.code, issue, 1) == 0  # twice counts once
    board = recorder.scoreboard(r, GAME.code)
    fixed = {row["market"]: row for row in board["rows"] if row["predictor"] == "fixed"}
    assert {m: (row["n"], row["hits"]) for m, row in fixed.items()} == {
        "number": (1, 0), "top3": (1, 1), "big_small": (1, 0), "color": (1, 0)}
    assert fixed["top3"]["streaks"] == {"current_kind": "win", "current": 1, "longest_win": 1,
                                        "longest_loss": 0}
    assert fixed["number"]["streaks"]["current_kind"] == "loss"
    # Too late: the draw is stored, so nothing more is taken for this issue.
    assert record(r, GAME.code, issue, {"late": FIXED}) == []


def test_record_rejects_bad_names_and_predictions_and_caps_the_names(r, monkeypatch):
    issue = issues(1)[0]
    stored = record(r, GAME.code, issue, {"Bad Name": FIXED, "r:x": FIXED, "ok": FIXED,
                                          "broken": {"numbers": [1, 1]}, "none": {}})
    assert stored == ["ok"]
    with pytest.raises(ValueError):
        record(r, GAME.code, "not-an-issue", {"ok": FIXED})
    monkeypatch.setattr(recorder, "MAX_PREDICTORS", 2)
    nxt = GAME.next_issue(issue)
    assert record(r, GAME.code, nxt, {"ok": FIXED, "b": FIXED, "c": FIXED}) == ["ok", "b"]
    assert r.scard(keys.eval_predictors(GAME.code)) == 2


def test_ai_prediction_with_one_number_takes_no_part_in_top3(r):
    issue = issues(1)[0]
    assert record(r, GAME.code, issue, {"ai": {"numbers": [4], "big_small": "Small",
                                               "color": "Red", "probs": [1] * 10}}) == ["ai"]
    settle(r, issue, 4)
    rows = {row["market"]: row for row in recorder.scoreboard(r, GAME.code)["rows"]}
    assert set(rows) == {"number", "big_small", "color"}
    assert rows["number"]["hits"] == 1 and rows["number"]["log_loss"] == pytest.approx(np.log(10))
    assert rows["number"]["baseline_log_loss"] == pytest.approx(np.log(10))
    assert rows["color"]["hits"] == 1 and "log_loss" in rows["color"]  # derived from probs


def test_a_record_landing_while_resolve_runs_is_still_resolved(r, monkeypatch):
    issue = issues(1)[0]
    draws.add_draws(r, GAME, [Draw(GAME.code, issue, 5)], 1000)
    assert resolve(r, GAME.code, issue, 5) == 0  # resolve ran before the record landed
    real = draws.get_draw
    calls = []

    def stale_first_check(conn, code, iss):
        calls.append(iss)
        return None if len(calls) == 1 else real(conn, code, iss)

    monkeypatch.setattr(recorder.draws, "get_draw", stale_first_check)
    assert record(r, GAME.code, issue, {"fixed": FIXED}) == ["fixed"]
    assert len(calls) == 2  # it re-checked the draw after writing
    row = recorder.scoreboard(r, GAME.code)["rows"][0]
    assert (row["predictor"], row["n"]) == ("fixed", 1)


def test_concurrent_records_and_resolves_count_each_prediction_exactly_once(r, redis_url):
    todo = issues(40)
    stored = {f"p{i}": [] for i in range(4)}
    start = threading.Barrier(5)

    def recorder_thread(name):
        client = redis.Redis.from_url(redis_url)
        start.wait()
        for issue in todo:
            stored[name] += [issue] if record(client, GAME.code, issue, {name: FIXED}) else []

    def resolver_thread():
        client = redis.Redis.from_url(redis_url)
        start.wait()
        for i, issue in enumerate(todo):
            draws.add_draws(client, GAME, [Draw(GAME.code, issue, i % 10)], 1000)
            resolve(client, GAME.code, issue, i % 10)
            resolve(client, GAME.code, issue, i % 10)

    threads = [threading.Thread(target=recorder_thread, args=(n,)) for n in stored]
    threads.append(threading.Thread(target=resolver_thread))
    for t in threads:
        t.start()
    for t in threads:
        join_thread(t, 30)
    board = {(row["predictor"], row["market"]): row for row in recorder.scoreboard(r, GAME.code)["rows"]}
    for name, kept in stored.items():
        if not kept:
            assert (name, "number") not in board
            continue
        row = board[(name, "number")]
        assert row["n"] == len(kept)
        assert row["hits"] == sum(1 for i, issue in enumerate(todo) if issue in kept and i % 10 == 0)
        for issue in kept:
            assert r.hexists(keys.eval_issue(GAME.code, issue), f"r:{name}")


def test_window_counts_only_the_last_n_resolutions(r, monkeypatch):
    digits = [(i * 7) % 10 for i in range(60)]
    for issue, d in zip(issues(60), digits):
        record(r, GAME.code, issue, {"fixed": FIXED})
        settle(r, issue, d)

    def expect(ds):
        return {"number": sum(d == 0 for d in ds), "top3": sum(d in (0, 1, 2) for d in ds),
                "big_small": sum(d >= 5 for d in ds), "color": sum(d % 2 == 0 for d in ds)}

    for window, tail in ((None, digits), (25, digits[-25:]), (60, digits), (500, digits)):
        rows = recorder.scoreboard(r, GAME.code, window)["rows"]
        assert {row["market"]: row["hits"] for row in rows} == expect(tail), window
        assert all(row["n"] == len(tail) for row in rows)
    # Streaks are over everything kept, not the window.
    full = recorder.scoreboard(r, GAME.code)["rows"][0]["streaks"]
    assert recorder.scoreboard(r, GAME.code, 5)["rows"][0]["streaks"] == full
    # The snapshot list is capped: a window beyond it falls back to the oldest kept.
    assert r.llen(keys.eval_cumulative(GAME.code, "fixed")) == 60
    monkeypatch.setattr(recorder, "WINDOW_MAX", 10)
    more = [d for d in digits[:5]]
    for issue, d in zip(issues(5, GAME.next_issue(issues(60)[-1])), more):
        record(r, GAME.code, issue, {"fixed": FIXED})
        settle(r, issue, d)
    assert r.llen(keys.eval_cumulative(GAME.code, "fixed")) == 11
    rows = recorder.scoreboard(r, GAME.code, 30)["rows"]
    assert all(row["n"] == 10 for row in rows)
    assert {row["market"]: row["hits"] for row in rows} == expect((digits + more)[-10:])


def test_the_cached_table_follows_every_scored_prediction_and_stays_bounded(r, monkeypatch):
    first, second = issues(2)
    record(r, GAME.code, first, {"fixed": FIXED})
    settle(r, first, 0)
    assert recorder.scoreboard(r, GAME.code)["rows"][0]["hits"] == 1
    assert r.hexists(keys.eval_board_cache(GAME.code), "all")
    record(r, GAME.code, second, {"fixed": FIXED})
    settle(r, second, 0)
    assert recorder.scoreboard(r, GAME.code)["rows"][0]["hits"] == 2  # not the cached 1
    monkeypatch.setattr(recorder, "CACHE_FIELDS_MAX", 2)
    for window in (1, 2, 3, 4):
        assert recorder.scoreboard(r, GAME.code, window)["rows"][0]["n"] == min(window, 2)
        assert r.hlen(keys.eval_board_cache(GAME.code)) <= 2


def test_live_recording_agrees_with_the_backtest(r):
    rng = np.random.default_rng(5)
    digits = [int(d) for d in rng.integers(0, 10, 250)]
    live_run(r, digits, seed=9)
    live = recorder.scoreboard(r, GAME.code)
    replay = scoreboard.build(GAME, backtest(GAME, digits, seed=9))
    key = lambda row: (row["predictor"], row["market"])  # noqa: E731
    live_rows = {key(row): row for row in live["rows"]}
    replay_rows = {key(row): row for row in replay["rows"]}
    assert live_rows.keys() == replay_rows.keys()
    assert {name for name, _ in live_rows} == set(PREDICTOR_NAMES)
    for k, row in live_rows.items():
        other = replay_rows[k]
        for field in ("n", "hits", "p_value", "p_holm", "verdict", "streaks"):
            assert row[field] == other[field], (k, field)
        for field in ("log_loss", "brier"):
            assert (field in row) == (field in other), (k, field)
            if field in row:  # stored probabilities are rounded to 6 decimals
                assert row[field] == pytest.approx(other[field], abs=1e-3), (k, field)


def test_planted_bias_is_labelled_an_edge_and_the_control_is_not():
    rng = np.random.default_rng(7)
    weights = np.ones(10)
    weights[7] = 2.0  # digit 7 twice as likely as any other
    digits = [int(d) for d in rng.choice(10, 3000, p=weights / weights.sum())]
    board = scoreboard.build(GAME, backtest(GAME, digits, seed=1))
    rows = {(row["predictor"], row["market"]): row for row in board["rows"]}
    assert rows[("markov", "number")]["verdict"] == scoreboard.EDGE
    assert rows[("markov", "number")]["ci95"][0] > rows[("markov", "number")]["break_even"]
    assert rows[("ensemble", "number")]["verdict"] == scoreboard.EDGE
    assert all(row["verdict"] != scoreboard.EDGE for (name, _), row in rows.items()
               if name == "random")


class _Order:
    def order(self, totals):
        return sorted(totals)


class _StubGame:
    """The two things build() asks of a game: its markets and the predictor order."""

    code = "Stub"

    def __init__(self, *markets):
        self.markets = markets

    def predictors(self):
        return _Order()


def _board(market, hits, n, window=None, record=None):
    from lottery.evaluation.scoring import MarketTotals, Streaks
    totals = {"p": {market.name: MarketTotals(n, hits, 0, 0, 0, Streaks())}}
    if record is not None:
        k, m = record
        record = {"p": {market.name: MarketTotals(m, k, 0, 0, 0, Streaks())}}
    return scoreboard.build(_StubGame(market), totals, window, record)["rows"][0]


def test_verdict_rules_by_market_kind():
    from lottery.games.base import Market
    paying = Market("m", "M", 0.1, 0.1134)
    lottery = Market("m", "M", 0.1, 1.0, pays=False)
    # Far above break-even: an edge; the anytime lower bound clears break-even.
    row = _board(paying, 300, 1_000)
    assert row["verdict"] == scoreboard.EDGE and row["anytime_ci"][0] > paying.break_even
    assert "power" not in row and "detectable_edge" not in row
    # Significantly above chance but not above break-even: no evidence of an edge, said so.
    row = _board(paying, 1_250, 10_000)
    assert row["anytime_ci"][0] > paying.chance and row["anytime_ci"][0] < paying.break_even
    assert row["verdict"] == scoreboard.NO_EDGE
    assert "better than chance" in row["verdict_text"] and "break-even" in row["verdict_text"]
    assert row["power"].startswith("With n = 10000, an edge of ")
    # The same counts in a lottery market: better than chance, never an edge.
    row = _board(lottery, 1_250, 10_000)
    assert row["verdict"] == scoreboard.BETTER and "make money" in row["verdict_text"]
    assert _board(lottery, 3_000, 10_000)["verdict"] == scoreboard.BETTER
    # Far below chance: worse, by the anytime bound.
    row = _board(paying, 40, 1_000)
    assert row["verdict"] == scoreboard.WORSE and row["anytime_ci"][1] < paying.chance
    # A fixed-n p-value under 0.01 is not enough: descriptive only.
    row = _board(paying, 125, 1_000)
    assert row["p_value"] < 0.01 and row["verdict"] == scoreboard.NO_EDGE
    assert row["detectable_edge"] > 0 and "power" in row
    assert _board(paying, 5, 29)["verdict"] == scoreboard.TOO_FEW


def test_windowed_rows_take_the_full_records_verdict():
    from lottery.games.base import Market
    paying = Market("m", "M", 0.1, 0.1134)
    row = _board(paying, 30, 40, window=40, record=(120, 1_000))
    assert row["n"] == 40 and row["verdict_n"] == 1_000
    assert row["verdict"] == scoreboard.NO_EDGE  # 12% of 1,000: not 75% of 40
    assert row["power"].startswith("With n = 1000,")


def test_fair_draws_are_almost_never_called_significant():
    """Across many seeds, no predictor reaches Holm p < 0.01 more often than the level allows."""
    seeds = 30
    flagged = edges = 0
    for seed in range(seeds):
        digits = np.random.default_rng(1000 + seed).integers(0, 10, 1000).tolist()
        board = scoreboard.build(GAME, backtest(GAME, digits, seed=seed))
        flagged += any(row["p_holm"] < scoreboard.ALPHA for row in board["rows"])
        edges += sum(row["verdict"] == scoreboard.EDGE for row in board["rows"])
    # Holm keeps the chance of any false flag per table at or below 0.01.
    allowed = int(sst.binom.ppf(0.999, seeds, scoreboard.ALPHA))
    assert flagged <= allowed
    assert edges <= allowed


def test_accuracy_endpoint_serves_the_scoreboard(r, redis_url, settings):
    digits = [int(d) for d in np.random.default_rng(3).integers(0, 10, 40)]
    live_run(r, digits, extra=lambda issue: {"ai": {"numbers": [3], "big_small": "Big",
                                                    "color": "Green"}})
    client = create_app(settings, redis.Redis.from_url(redis_url)).test_client()
    resp = client.get("/api/accuracy?game=WinGo_1M")
    assert resp.status_code == 200
    body = resp.get_json()
    expected = recorder.scoreboard(r, GAME.code)
    body.pop("generated_at"), expected.pop("generated_at")
    assert body == expected
    assert [row["predictor"] for row in body["rows"]][-3:] == ["ai"] * 3
    assert body["n_draws"] == 40
    for row in body["rows"]:
        assert set(row) >= {"predictor", "market", "n", "hits", "hit_rate", "chance", "ci95",
                            "p_value", "p_holm", "break_even", "verdict", "verdict_text",
                            "streaks"}
    windowed = client.get("/api/accuracy?window=20").get_json()
    assert {row["n"] for row in windowed["rows"]} == {20}
    assert windowed["window"] == 20
    # Windowed figures are descriptive; the verdict is the full running record's.
    full = {(row["predictor"], row["market"]): row for row in body["rows"]}
    for row in windowed["rows"]:
        whole = full[(row["predictor"], row["market"])]
        assert row["verdict_n"] == whole["n"] == 40
        for field in ("verdict", "verdict_text", "anytime_ci"):
            assert row[field] == whole[field]
    assert "verdict_n" not in body["rows"][0] and "full running record" in windowed["note"]


@pytest.mark.parametrize("query,code", [("window=0", "bad_request"), ("window=abc", "bad_request"),
                                        ("window=10001", "bad_request"), ("game=Nope", "unknown_game")])
def test_accuracy_endpoint_rejects_bad_input(r, redis_url, settings, query, code):
    client = create_app(settings, redis.Redis.from_url(redis_url)).test_client()
    resp = client.get(f"/api/accuracy?{query}")
    assert resp.status_code == 400 and resp.get_json()["error"] == code


def test_audit_endpoint_reads_the_draws_and_caches_per_newest_issue(r, redis_url, settings):
    rng = np.random.default_rng(12)
    weights = np.ones(10)
    weights[7] = 2.0
    digits = rng.choice(10, 2000, p=weights / weights.sum()).tolist()
    draws.add_draws(r, GAME, [Draw(GAME.code, i, d) for i, d in zip(issues(2000), digits)],
                    100_000)
    client = create_app(settings, redis.Redis.from_url(redis_url)).test_client()
    body = client.get("/api/audit?window=2000").get_json()
    assert body["n"] == 2000
    assert body["tests"]["uniformity"]["p_value"] < 0.01
    assert body["tests"]["uniformity"]["counts"]["7"] == digits.count(7)
    assert set(body["tests"]) == {"uniformity", "runs_big_small", "lag1_independence"}
    assert r.ttl(keys.audit_cache(GAME.code, 2000)) <= GAME.period_seconds
    # A new draw invalidates the cached audit.
    draws.add_draws(r, GAME, [Draw(GAME.code, GAME.next_issue(issues(2000)[-1]), 7)], 100_000)
    again = client.get("/api/audit?window=2000").get_json()
    assert again["latest_issue"] != body["latest_issue"]
    assert again["tests"]["uniformity"]["counts"]["7"] == digits[1:].count(7) + 1
    assert client.get("/api/audit?window=3").status_code == 400
