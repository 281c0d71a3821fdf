"""The crash board and the crash fairness page in headless Chromium, at phone and desktop widths.

The app runs on 127.0.0.1 against a real Redis server, with the real worker and its
simulated provably fair feed stepped on an injected clock; live rounds reach the page
over the existing SSE stream.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import redis
from playwright.sync_api import expect

from clock import FakeClock
from conftest import ADMIN_TOKEN
from lottery.store import draws
from lottery.worker import Worker, build_source
from pages import AppSite, panel

pytestmark = pytest.mark.browser

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


class CrashSite(AppSite):
    """The app on 127.0.0.1 following WinGo and Crash; the crash feed stepped by hand."""

    def __init__(self, settings, redis_url):
        self.settings = settings.with_(games=("WinGo_1M", "Crash", "Powerball"), sse_heartbeat=1.0)
        self.r = redis.Redis.from_url(redis_url)
        self.clock = FakeClock(datetime.now(UTC))
        crash = self.settings.with_(games=("Crash",), sim_backfill=120)
        self.worker = Worker(crash, self.r, build_source(crash, self.r), clock=self.clock)
        # Back-fill, then play rounds for a few minutes so predictions are scored.
        for _ in range(60):
            self.worker.step("Crash")
            self.clock.advance(5)
        self.serve(self.settings, redis_url)

    def latest(self) -> dict:
        return draws.recent_draws(self.r, "Crash", 1)[0]

    def next_round(self) -> dict:
        """Step the feed until one more round has ended; return it."""
        before = self.latest()["issue"]
        for _ in range(400):
            self.clock.advance(1)
            self.worker.step("Crash")
            if self.latest()["issue"] != before:
                return self.latest()
        raise AssertionError("no round ended in 400 s of feed time")


@pytest.fixture
def site(settings, r, redis_url):
    live = CrashSite(settings, redis_url)
    yield live
    live.close()


def wait_ready(page, name):
    # The scoreboard's first answer can take seconds on a busy machine: wait for it.
    expect(panel(page, name)).to_have_attribute("data-state", "ready", timeout=30_000)


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for box in page.locator(".nav a").evaluate_all(
            "links => links.map(a => a.getBoundingClientRect().toJSON())"):
        assert box["left"] >= 0 and box["right"] <= width, box


@WIDTHS
def test_crash_board_shows_rounds_streaks_prediction_and_record_and_goes_live(site, tab, viewport):
    page = tab(viewport=viewport).page
    page.goto(site.url + "/?game=Crash")
    for name in ("crash-rounds", "crash-streaks", "crash-prediction", "crash-record"):
        wait_ready(page, name)
    expect(page.locator("#game-select option:checked")).to_have_text("Crash")
    expect(page.locator('.nav a[data-board="crash"]')).to_have_attribute("aria-current", "page")
    latest = site.latest()
    rounds = panel(page, "crash-rounds")
    expect(rounds.locator(".xchip").first).to_have_attribute("data-round", latest["issue"])
    expect(rounds.locator(".xchip").first).to_contain_text(f"{latest['multiplier']:.2f}x")
    expect(rounds.locator("svg .xbar")).to_have_count(60)
    expect(rounds.locator(f'svg .xbar[data-round="{latest["issue"]}"]')).to_have_count(1)
    # Streaks: the current run since the last round at or above each threshold, with the
    # geometric chance of a run that long and the fair 0.99 / T for the next round.
    multipliers = [d["multiplier"] for d in reversed(draws.recent_draws(site.r, "Crash", 5000))]
    run = next((i for i, x in enumerate(reversed(multipliers)) if x >= 10), len(multipliers))
    ten = panel(page, "crash-streaks").locator('tr[data-threshold="10x"]')
    expect(ten.locator('[data-field="run"]')).to_have_text(str(run))
    expect(ten).to_contain_text(f"{100 * 0.901 ** run:.1f}%")
    expect(ten).to_contain_text("9.9%")
    pred = panel(page, "crash-prediction")
    expect(pred.locator('tr[data-market="reach_2x"]')).to_contain_text("49.50%")
    expect(pred.locator('tr[data-market="reach_10x"]')).to_contain_text("9.90%")
    expect(pred.locator('[data-field="streak"]')).to_contain_text(f"{100 * (1 - 0.901 ** 10):.1f}% fair")
    record = panel(page, "crash-record")
    board = {(row["predictor"], row["market"]): row
             for row in json.loads(page.request.get(site.url + "/api/accuracy?game=Crash").text())["rows"]}
    null = board[("null", "reach_2x")]
    row = record.locator('tr[data-predictor="null"]')
    expect(row.locator('[data-field="rate"]')).to_have_text(
        f"{100 * null['hit_rate']:.1f}% (n={null['n']}) vs 49.50%")
    expect(row.locator('[data-field="ci"]')).to_contain_text(f"{100 * null['ci95'][0]:.1f}%")
    expect(row.locator(".tag")).to_have_text(null["verdict"])
    expect(row.locator('[data-field="p"]')).to_contain_text("Holm")
    expect(record.locator('[data-field="summary"]')).to_contain_text(
        f"No predictor shows evidence of an edge over chance in this market (n = {null['n']} rounds)")
    record.locator('[data-field="market"]').select_option("reach_10x")
    expect(record.locator('tr[data-predictor="null"]')).to_contain_text("9.90%")
    _fits(page, viewport["width"])
    # Live: the next round arrives over the stream and shows without a reload.
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    played = site.next_round()
    expect(rounds.locator(".xchip").first).to_have_attribute("data-round", played["issue"])
    expect(rounds.locator('[data-field="status"]')).to_contain_text(f"round {played['issue']}")


def _v2(round_hash: str, salt: str) -> float:
    """The v2 formula written here independently of lottery.games.crash."""
    mac = hmac.new(salt.encode(), bytes.fromhex(round_hash), hashlib.sha256).hexdigest()
    r = int(mac[:13], 16)
    return max(100, 99 * 2 ** 52 // (2 ** 52 - r)) / 100


@WIDTHS
def test_fairness_page_recomputes_a_crash_round_in_the_browser(site, tab, viewport):
    rec = draws.get_draw(site.r, "Crash", "7")
    assert rec["multiplier"] == _v2(rec["seed"], "lottery-crash-simulated-feed")
    page = tab(viewport=viewport).page
    page.goto(site.url + "/fairness?game=Crash&issue=7")
    fair = panel(page, "fairness")
    expect(fair).to_have_attribute("data-browser", "verified")
    expect(fair.locator('[data-field="multiplier"]')).to_have_text(f"{rec['multiplier']:.2f}x")
    checks = fair.locator('[data-field="browser-check"] li')
    expect(checks).to_have_count(4)  # formula, link, the previous round's hash, the final hash
    assert checks.evaluate_all("els => els.map(e => e.dataset.check)") == ["match"] * 4
    expect(checks.nth(0)).to_contain_text(f"gives {rec['multiplier']:.2f}x")
    expect(checks.nth(1)).to_contain_text(hashlib.sha256(bytes.fromhex(rec["seed"])).hexdigest()[:16])
    expect(checks.nth(3)).to_contain_text("7 SHA-256 steps")
    expect(page.locator("#game-select option:checked")).to_have_text("Crash")
    _fits(page, viewport["width"])
    # The browser's formula against Python's on many hashes and on bustabit's own salt.
    from lottery.games.crash import PROFILES

    salt = PROFILES["bustabit_v2"].salt
    hashes = [hashlib.sha256(f"h{i}".encode()).hexdigest() for i in range(200)]
    got = page.evaluate("""async ([hashes, salt]) => {
        const m = await import('/static/js/pages/crash_fairness.js');
        const out = [];
        for (const h of hashes) out.push((await m.crashCents(h, salt)).cents);
        return out;
    }""", [hashes, salt])
    assert got == [PROFILES["bustabit_v2"].cents(h) for h in hashes]
    assert got == [round(_v2(h, salt) * 100) for h in hashes] and min(got) >= 100


def test_fairness_page_shows_a_mismatch_when_the_server_lies(site, tab):
    page = tab(viewport=DESKTOP).page

    def tamper(route):
        body = route.fetch().json()
        body["multiplier"] = round(body["multiplier"] + 0.01, 2)
        route.fulfill(json=body)

    page.route("**/api/fairness/9?game=Crash", tamper)
    page.goto(site.url + "/fairness?game=Crash")
    page.locator('[data-field="issue"]').fill("9")
    page.get_by_role("button", name="Verify").click()
    fair = panel(page, "fairness")
    expect(fair).to_have_attribute("data-browser", "mismatch")
    expect(fair.locator('[data-check="mismatch"]')).to_have_count(1)
    expect(fair.locator('[data-field="browser-verdict"]')).to_contain_text("NOT verified")
    # A round not played yet: only the previous round's hash is public.
    nxt = str(int(site.latest()["issue"]) + 1)
    page.locator('[data-field="issue"]').fill(nxt)
    page.get_by_role("button", name="Verify").click()
    expect(fair.locator('[data-field="status"]')).to_contain_text("pending")
    expect(fair.locator('[data-field="commitment"]')).to_have_text(site.latest()["seed"])
    page.locator('[data-field="issue"]').fill("12a")
    page.get_by_role("button", name="Verify").click()
    expect(fair.locator(".panel-state")).to_contain_text("whole number")


def test_manual_entry_export_and_new_session(site, tab):
    page = tab(viewport=DESKTOP).page
    page.goto(site.url + "/?game=Crash")
    for name in ("crash-rounds", "crash-prediction", "crash-record"):
        wait_ready(page, name)
    entry = panel(page, "crash-entry")
    result = entry.locator('[data-field="result"]')
    entry.locator('[data-field="round-id"]').fill("5000")
    entry.locator('[data-field="multiplier"]').fill("3.21")
    entry.get_by_role("button", name="Store round").click()
    expect(result).to_have_text("Enter the admin token first.")
    entry.locator('[data-field="token"]').fill("wrong")
    entry.get_by_role("button", name="Keep for this tab").click()
    entry.get_by_role("button", name="Store round").click()
    expect(result).to_have_attribute("data-tone", "bad")
    assert draws.get_draw(site.r, "Crash", "5000") is None
    entry.locator('[data-field="token"]').fill(ADMIN_TOKEN)
    entry.get_by_role("button", name="Keep for this tab").click()
    entry.locator('[data-field="multiplier"]').fill("0.5")
    entry.get_by_role("button", name="Store round").click()
    expect(result).to_contain_text("at least 1.00")
    assert draws.get_draw(site.r, "Crash", "5000") is None
    entry.locator('[data-field="multiplier"]').fill("3.21")
    entry.get_by_role("button", name="Store round").click()
    expect(result).to_have_text("Stored round 5000 (source: manual).")
    stored = draws.get_draw(site.r, "Crash", "5000")
    assert stored["multiplier"] == 3.21 and stored["source"] == "manual"
    expect(panel(page, "crash-rounds").locator(".xchip").first).to_have_attribute("data-round", "5000")
    # Export: a JSON download of what the page showed.
    session = panel(page, "crash-session")
    with page.expect_download() as info:
        session.get_by_role("button", name="Export JSON").click()
    exported = json.loads(open(info.value.path()).read())
    shown = {r["round"]: r["multiplier"] for r in exported["rounds"]}
    assert shown["5000"] == 3.21 and shown[site.latest()["issue"]] == site.latest()["multiplier"]
    assert len(shown) >= 60
    assert exported["entered"][0]["round"] == "5000" and exported["game"] == "Crash"
    report = json.loads(page.request.get(site.url + "/api/v2/report?game=Crash").text())
    pred = next(p for p in exported["predictions"] if p["round"] == report["next_issue"])
    assert {r["market"]: r["probability"] for r in pred["reach"]} == \
        {r["market"]: r["probability"] for r in report["prediction"]["reach"]}
    assert set(exported["streaks"]) >= {"2x", "10x", "100x"}
    assert {row["market"] for row in exported["record"]["rows"]} >= {"reach_2x", "streak_10x"}
    # A new session empties the page's session only: the server keeps every round.
    session.get_by_role("button", name="New session").click()
    expect(session.locator('[data-field="message"]')).to_contain_text("from round 5001")
    expect(session.locator('[data-field="summary"]')).to_contain_text("0 rounds, 0 predictions, 0 entered")
    with page.expect_download() as info:
        session.get_by_role("button", name="Export JSON").click()
    assert json.loads(open(info.value.path()).read())["rounds"] == []
    assert draws.get_draw(site.r, "Crash", "5000") is not None
    page.reload()  # the session survives a reload of the tab
    wait_ready(page, "crash-rounds")
    expect(session.locator('[data-field="summary"]')).to_contain_text("from round 5001")
    expect(session.locator('[data-field="summary"]')).to_contain_text("0 rounds")


def test_nav_links_each_followed_familys_board(settings, app_factory):
    import re

    client = app_factory(settings.with_(games=("WinGo_1M", "Crash", "Powerball"))).test_client()
    html = client.get("/?game=Crash").get_data(as_text=True)
    nav = re.search(r'<nav class="nav".*?</nav>', html, re.S).group(0)
    assert re.findall(r'data-board="(\w+)"', nav) == ["crash", "pick"]
    # On the crash board its own link is the current page, not "Live board".
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', nav) == ["Crash"]
    assert 'href="/?game=Crash"' in nav
    html = client.get("/?game=WinGo_1M").get_data(as_text=True)
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', html) == ["Live board"]
    wingo_only = app_factory(settings.with_(games=("WinGo_1M",))).test_client()
    assert "data-board" not in wingo_only.get("/").get_data(as_text=True)
