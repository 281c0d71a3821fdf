"""The dashboard end to end: headless Chromium (Debian's package, driven by Playwright)
against the real app on 127.0.0.1, a real Redis server and the real workers stepped
with an injected fast clock. Screenshots land in test-artifacts/.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import redis
from clock import FakeClock
from playwright.sync_api import expect

from pages import AppSite, panel, wait_ready
from lottery import keys
from lottery.ai import store as ai_store
from lottery.events import publish_event
from lottery.games import get_game
from lottery.store import predictions
from lottery.web import stream
from lottery.worker import Worker, build_source

pytestmark = pytest.mark.browser

GAME = get_game("WinGo_1M")
TOKEN = "test-admin-token"  # the `settings` fixture's admin token
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


class LiveSite(AppSite):
    """The app served on 127.0.0.1 with a draw worker on a fast, injected clock."""

    def __init__(self, settings, redis_url):
        self.r = redis.Redis.from_url(redis_url)
        self.serve(settings.with_(sse_heartbeat=1.0), redis_url)
        self.clock = FakeClock(datetime.now(UTC))
        self.worker = Worker(settings, self.r, build_source(settings, self.r), clock=self.clock)
        self.worker.step(GAME.code)  # back-fills the history and predicts the open issue

    def step(self) -> str:
        """Move one period on: the worker settles a draw and predicts the next issue."""
        self.clock.advance(GAME.period_seconds)
        result = self.worker.step(GAME.code)
        assert result.published
        return result.predicted_issue

    def report(self) -> dict:
        return json.loads(predictions.read_report(self.r, GAME.code))


@pytest.fixture
def site(settings, r, redis_url):
    live = LiveSite(settings, redis_url)
    yield live
    live.close()


def test_board_shows_the_prediction_and_updates_when_a_draw_settles(site, tab):
    page = tab().page
    page.goto(site.url + "/")
    wait_ready(page, "prediction")
    report = site.report()
    pred = panel(page, "prediction")
    expect(pred.locator('[data-field="next-issue"]')).to_have_text(report["next_issue"])
    balls = pred.locator('[data-field="numbers"] .ball')
    expect(balls).to_have_count(3)
    assert balls.all_text_contents() == [str(d) for d in report["prediction"]["numbers"]]
    # Colours come from the game's rules: each ball carries its digit's colours.
    first = report["prediction"]["numbers"][0]
    cls = balls.first.get_attribute("class")
    assert all(c.lower() in cls for c in ("Red", "Green") if c in GAME.describe(first)["colors"])
    expect(pred.locator('[data-field="big-small"]')).to_have_text(report["prediction"]["big_small"])
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator('[data-panel="honesty"]')).to_contain_text("Fair draws cannot be predicted")

    settled = report["next_issue"]
    new_issue = site.step()
    # Pushed by the stream: the page shows the new prediction and the settled draw.
    expect(pred.locator('[data-field="next-issue"]')).to_have_text(new_issue)
    expect(panel(page, "draws").locator(".draw").first).to_have_attribute("data-issue", settled)
    accuracy = pred.locator('[data-field="accuracy"] tr[data-market="big_small"]')
    expect(accuracy).to_contain_text("/ 1")


def test_scoreboard_shows_each_rate_with_its_interval(site, tab):
    for _ in range(3):
        site.step()
    page = tab().page
    page.goto(site.url + "/")
    wait_ready(page, "scoreboard")
    board = panel(page, "scoreboard")
    rows = board.locator(".score-row")
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        expect(row).to_contain_text(re.compile(r"95% CI \d+\.\d% – \d+\.\d%"))
        expect(row).to_contain_text("chance 50.0%")
        for role in ("ci", "rate", "chance", "break-even"):
            expect(row.locator(f'[data-role="{role}"]')).to_have_count(1)
    expect(board.locator('[data-field="summary"]')).to_contain_text("No predictor shows evidence")
    board.locator('[data-field="market"]').select_option("number")
    expect(rows.first).to_contain_text("chance 10.0%")
    wait_ready(page, "audit")
    expect(panel(page, "audit").locator("tbody tr")).to_have_count(3)


def test_scoreboard_shows_the_power_line_and_the_replayed_record_apart(site, tab):
    for _ in range(31):  # 31 live draws: just past "too few draws to judge"
        site.step()
    for width in (390, 1280):
        page = tab(viewport={"width": width, "height": 900}).page
        page.goto(site.url + "/")
        wait_ready(page, "scoreboard")
        board = panel(page, "scoreboard")
        live = board.locator('[data-field="rows"] .score-row')
        expect(live.first).to_contain_text(re.compile(r"anytime \d+\.\d% – \d+\.\d%"))
        quiet = board.locator('[data-field="rows"] .score-row[data-verdict="no evidence of an edge"]')
        assert quiet.count() >= 1
        for i in range(quiet.count()):
            # 31 draws are too few for any edge to have shown: the line says so.
            expect(quiet.nth(i).locator('[data-field="power"]')).to_have_text(
                "With n = 31, no edge over chance could have shown yet.")
        replayed = board.locator('[data-field="replayed"]')
        expect(replayed).to_be_visible()
        expect(replayed.locator("h3")).to_have_text("Replayed record — not live")
        expect(replayed).to_contain_text("walked forward over 50 back-filled draws")
        expect(replayed.locator(".score-row")).to_have_count(live.count())
        expect(replayed.locator('[data-field="power"]').first).to_contain_text("With n = 50,")
        # In the number market (chance 10%) this n could show a large edge: the line says how large.
        board.locator('[data-field="market"]').select_option("number")
        expect(live.first.locator('[data-field="power"]')).to_have_text(re.compile(
            r"^With n = 31, an edge of \d+ points or more over chance would probably \(80% power\) "
            r"have shown\.$"))


def test_a_stream_disconnect_and_reconnect_misses_nothing(site, tab):
    page = tab().page
    page.goto(site.url + "/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    before = publish_event(site.r, "simulator", GAME.code, {"n": 0})
    page.wait_for_function("id => window.dashboard.feed.received.includes(id)", arg=before)
    hub = stream.get_hub(site.app)
    assert hub.disconnect_all() == 1
    # Published while the browser has no stream; it must get them after reconnecting.
    missed = [publish_event(site.r, "simulator", GAME.code, {"n": i}) for i in (1, 2, 3)]
    page.wait_for_function("() => window.dashboard.feed.connects >= 2")
    after = publish_event(site.r, "simulator", GAME.code, {"n": 4})
    page.wait_for_function("id => window.dashboard.feed.received.includes(id)", arg=after)
    received = page.evaluate("window.dashboard.feed.received")
    assert received[received.index(before):] == [before, *missed, after]


def test_polling_with_etags_when_the_stream_is_unavailable(site, tab):
    page = tab().page
    page.route("**/api/stream*", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error":"stream_unavailable","message":"down"}'))
    page.goto(site.url + "/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "polling")
    wait_ready(page, "prediction")
    # An unchanged report is asked for with its ETag and not downloaded again.
    with page.expect_response(lambda resp: "/api/v2/report" in resp.url and resp.status == 304
                              and resp.request.headers.get("if-none-match")):
        pass
    new_issue = site.step()
    expect(panel(page, "prediction").locator('[data-field="next-issue"]')).to_have_text(new_issue)


def test_a_missing_or_failing_endpoint_only_affects_its_panel(site, tab):
    page = tab().page
    doc = site.app.test_client().get("/api/openapi.json").json
    del doc["paths"]["/api/accuracy"]
    page.route("**/api/openapi.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(doc)))
    page.route("**/api/audit*", lambda route: route.fulfill(
        status=500, content_type="application/json",
        body='{"error":"internal_error","message":"the audit broke"}'))
    page.goto(site.url + "/")
    wait_ready(page, "prediction")
    expect(panel(page, "scoreboard")).to_have_attribute("data-state", "unavailable")
    expect(panel(page, "scoreboard")).to_contain_text("not available yet")
    expect(panel(page, "audit")).to_have_attribute("data-state", "error")
    expect(panel(page, "audit")).to_contain_text("the audit broke")
    wait_ready(page, "draws")


def test_simulator_form_starts_a_session_and_its_wallet_changes_on_the_next_draw(
        site, tab, settings, redis_url):
    site.start_simulator_worker(settings, redis_url)
    page = tab().page
    page.goto(site.url + "/simulator")
    session = panel(page, "sim-session")
    wait_ready(page, "sim-session")
    session.locator('[data-field="token"]').fill(TOKEN)
    session.locator('[data-field="token-form"] button[type="submit"]').click()
    session.locator('input[name="initial_wallet"]').fill("500")
    session.locator('[data-action="start"]').click()
    expect(session.locator('[data-field="form-msg"]')).to_contain_text("started")
    expect(session.locator('[data-field="sim-state"]')).to_have_text("running")
    expect(session.locator('[data-field="rounds"]')).to_have_text("0")
    wallet = session.locator('[data-field="total-wallet"]')
    before = wallet.text_content()
    site.step()
    # Settled by the simulator worker's thread, then announced by its event: allow a loaded
    # CI machine more than the default 5 s.
    expect(session.locator('[data-field="rounds"]')).to_have_text("1", timeout=15_000)
    expect(wallet).not_to_have_text(before)
    expect(panel(page, "sim-history").locator("tbody tr").first).to_contain_text(
        re.compile("Win|Loss"))
    expect(session.locator(".stats")).to_contain_text("Big/Small hits")
    expect(session.locator(".stats")).not_to_contain_text("big/small hits")
    # A Monte Carlo study shows the ruin probability with its interval and the fan chart.
    mc = panel(page, "montecarlo")
    mc.locator('input[name="sessions"]').fill("200")
    mc.locator('input[name="rounds"]').fill("80")
    mc.locator('button[type="submit"]').click()
    expect(mc.locator('[data-field="ruin"]')).to_contain_text("95% CI")
    expect(mc.locator('[data-field="fan"] polygon')).to_have_count(2)


def test_fairness_page_verifies_a_digit(site, tab):
    page = tab().page
    issue = site.app.test_client().get("/api/history?per_page=1").json["items"][0]["issue"]
    proof = site.app.test_client().get(f"/api/fairness/{issue}").json
    page.goto(site.url + f"/fairness?issue={issue}")
    fair = panel(page, "fairness")
    expect(fair.locator('[data-field="verdict"]')).to_contain_text("Verified")
    expect(fair.locator('[data-field="seed"]')).to_have_text(proof["seed"])
    expect(fair.locator('[data-field="recomputed"]')).to_have_text(str(proof["number"]))
    # The browser recomputes the digit itself (WebCrypto), independently of the server.
    expect(fair.locator('[data-field="browser-check"]')).to_contain_text(
        f"gives digit {proof['number']} — verified")
    fair.locator('[data-field="issue"]').fill("12345")
    fair.locator('button[type="submit"]').click()
    expect(fair.locator(".panel-state")).to_contain_text("13 to 20 digits")
    fair.locator('[data-field="issue"]').fill("20200101100010001")
    fair.locator('button[type="submit"]').click()
    expect(fair.locator(".panel-state")).to_contain_text("no draw or commitment")


def test_the_ai_toggle_requires_the_admin_token(site, tab):
    page = tab().page
    page.goto(site.url + "/")
    ai = panel(page, "ai")
    wait_ready(page, "ai")
    ai.locator("summary").click()
    message = ai.locator('[data-field="admin-msg"]')
    ai.locator('[data-action="ai-start"]').click()
    expect(message).to_contain_text("Enter the admin token first")
    assert site.r.get(keys.AI_ENABLED) is None
    ai.locator('[data-field="token"]').fill("wrong-token")
    ai.locator('[data-field="token-form"] button[type="submit"]').click()
    ai.locator('[data-action="ai-start"]').click()
    expect(message).to_contain_text("not valid")
    assert site.r.get(keys.AI_ENABLED) is None
    expect(ai.locator('[data-field="token-state"]')).to_have_text("no token entered")
    ai.locator('[data-field="token"]').fill(TOKEN)
    ai.locator('[data-field="token-form"] button[type="submit"]').click()
    ai.locator('[data-action="ai-start"]').click()
    expect(message).to_contain_text("Done")
    assert site.r.get(keys.AI_ENABLED) == b"1"
    ai.locator('[data-action="ai-stop"]').click()
    expect(message).to_contain_text("Done")
    assert site.r.get(keys.AI_ENABLED) == b"0"
    # The token lives in this tab's sessionStorage only, never in localStorage.
    assert page.evaluate("sessionStorage.getItem('adminToken')") == TOKEN
    assert page.evaluate("JSON.stringify(localStorage)").find(TOKEN) == -1


def test_a_hostile_string_in_data_renders_as_text(site, tab):
    report = site.report()
    report.update(predictor=HOSTILE, disclaimer=HOSTILE)
    predictions.write_report(site.r, GAME.code, json.dumps(report).encode())
    ai_store.save_prediction(site.r, GAME, {
        "game": GAME.code, "issue": report["next_issue"], "status": "failed", "reason": HOSTILE,
        "model": HOSTILE, "timestamp": HOSTILE}, 100)
    publish_event(site.r, "prediction", GAME.code, {"issue": report["next_issue"]})
    page = tab().page
    page.goto(site.url + "/?game=" + HOSTILE)
    wait_ready(page, "prediction")
    wait_ready(page, "ai")
    expect(panel(page, "prediction").locator('[data-field="predictor"]')).to_have_text(HOSTILE)
    expect(panel(page, "honesty").locator('[data-field="disclaimer"]')).to_have_text(HOSTILE)
    expect(panel(page, "ai")).to_contain_text(HOSTILE)
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(site.url + "/fairness?issue=" + HOSTILE)
    expect(panel(page, "fairness").locator(".panel-state")).to_contain_text("13 to 20 digits")
    assert page.evaluate("window.__pwned") is None


def test_board_on_a_phone_in_dark_mode(site, tab):
    page = tab(viewport={"width": 390, "height": 844}, color_scheme="dark",
               is_mobile=True, has_touch=True).page
    page.goto(site.url + "/")
    wait_ready(page, "prediction")
    wait_ready(page, "digits-chart")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    dark = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(dark) == "rgb(15, 18, 22)"
    # The toggle overrides the system preference, and the choice is remembered.
    page.locator("#theme-toggle").click()
    assert page.evaluate(dark) == "rgb(245, 246, 248)"
    page.reload()
    wait_ready(page, "prediction")
    assert page.evaluate(dark) == "rgb(245, 246, 248)"


PAGES = ("/", "/simulator", "/fairness", "/mixpred/")


def _session_with_history(site, settings, redis_url):
    """A running paper session with a settled round (so the history table has rows)."""
    site.start_simulator_worker(settings, redis_url)
    site.sim_worker.beat(force=True)  # alive from now on, whether or not its loop has begun
    body = {"initial_wallet": 1000, "simulation_mode": "internal_logic",
            "big_small_bet_strategy": {"is_active": True, "target_side": "Big"},
            "color_bet_strategy": {"is_active": True, "target_color": "Green"}}
    resp = site.app.test_client().post("/api/simulator/start", json=body,
                                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.json
    for _ in range(3):
        site.step()


def test_no_page_scrolls_sideways_at_phone_width(site, tab, settings, redis_url):
    _session_with_history(site, settings, redis_url)
    page = tab(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).page
    for path in PAGES:
        page.goto(site.url + path)
        expect(page.locator("[data-panel]").first).to_be_visible()
        if path == "/":
            for name in ("prediction", "audit", "scoreboard", "draws"):
                wait_ready(page, name)
        if path == "/simulator":
            expect(panel(page, "sim-history").locator("tbody tr").first).to_contain_text(
                re.compile("Win|Loss"))
        if path == "/mixpred/":
            expect(panel(page, "mix-last").locator("tbody tr")).not_to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('main *, header *')]
            .filter(e => e.getBoundingClientRect().right > 390.5)
            .filter(e => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'hidden' || o === 'scroll') return false; } return true; })
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.dataset.field || e.dataset.panel || ''))""")
        assert width <= 390, f"{path} is {width}px wide at a 390px viewport: {wide}"
        # Every navigation link is fully visible (none cut off at the edge).
        for box in page.locator(".nav a").evaluate_all(
                "links => links.map(a => a.getBoundingClientRect().toJSON())"):
            assert box["left"] >= 0 and box["right"] <= 390, (path, box)


def test_simulator_wallet_labels_sit_over_their_values_on_desktop(site, tab, settings, redis_url):
    _session_with_history(site, settings, redis_url)
    page = tab(viewport={"width": 1280, "height": 900}).page
    page.goto(site.url + "/simulator")
    wait_ready(page, "sim-session")
    stats = panel(page, "sim-session").locator('[data-field="wallet"] .stat')
    expect(stats.first).to_be_visible()
    pairs = stats.evaluate_all("""boxes => boxes.map(b => {
        const [dt, dd] = [b.querySelector('dt'), b.querySelector('dd')];
        return [dt.textContent, dt.getBoundingClientRect().toJSON(), dd.getBoundingClientRect().toJSON()];
    })""")
    labels = [label for label, _, _ in pairs]
    assert {"Wallet (with stakes in play)", "Available", "In play", "Started with"} <= set(labels)
    for label, dt, dd in pairs:
        # The value sits right under its own label, in the same column.
        assert abs(dt["left"] - dd["left"]) < 1 and 0 <= dd["top"] - dt["bottom"] < 4, label


def test_board_says_it_once_and_shows_violet_as_its_own_market(site, tab):
    page = tab().page
    page.goto(site.url + "/")
    wait_ready(page, "prediction")
    text = page.locator("body").inner_text()
    assert text.count("Fair draws cannot be predicted") == 1
    pred = panel(page, "prediction")
    legend = pred.locator('[data-field="color-split"]').inner_text()
    assert "Red" in legend and "Green" in legend and "Violet" not in legend
    expect(pred.locator('[data-field="violet"]')).to_contain_text(
        re.compile(r"Violet \d+\.\d% chance"))
    # Other pages keep the sentence once, in the footer.
    page.goto(site.url + "/fairness")
    assert page.locator("body").inner_text().count("Fair draws cannot be predicted") == 1


def test_wording_of_streaks_and_of_a_stopped_session(site, tab, settings, redis_url):
    _session_with_history(site, settings, redis_url)
    page = tab().page
    page.goto(site.url + "/mixpred/")
    wait_ready(page, "mix-streaks")
    text = panel(page, "mix-streaks").inner_text()
    assert not re.search(r"\b1 (hits|misses)\b", text), text
    assert re.search(r"Now: \d+ (hit|hits|miss|misses) in a row", text)
    resp = site.app.test_client().post("/api/simulator/stop", json={},
                                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200
    page.goto(site.url + "/simulator")
    wait_ready(page, "sim-session")
    state = panel(page, "sim-session").locator('[data-field="sim-state"]')
    expect(state).to_have_text("stopped: stopped by user")
    expect(panel(page, "sim-history")).to_contain_text("session stopped: stopped by user")
    assert "stopped_by_user" not in page.locator("main").inner_text()
def test_the_ai_badge_shows_the_recent_failure_rate(site, tab):
    ai_store.set_flag(site.r, True)
    site.r.hset(keys.AI_STATUS, "key_configured", "1")
    for n in range(9):
        ai_store.record_outcome(site.r, {"game": GAME.code, "issue": str(n), "status": "failed",
                                         "reason": "HTTP 500", "timestamp": "t"})
    ai_store.record_outcome(site.r, {"game": GAME.code, "issue": "9", "status": "ok",
                                     "timestamp": "t"})
    page = tab().page
    page.goto(site.url + "/")
    wait_ready(page, "ai")
    badge = panel(page, "ai").locator('[data-field="ai-state"]')
    expect(badge).to_have_text("enabled · 9 of the last 10 failed")
    expect(badge).to_have_class("tag bad")
