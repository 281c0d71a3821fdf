"""The simulator page for crash in headless Chromium, at phone and desktop widths: a live
paper session, a Monte Carlo study and a chain replay, each with the honest statement."""
from __future__ import annotations

import re

import pytest
import redis
from playwright.sync_api import expect

from conftest import ADMIN_HEADERS
from pages import AppSite, panel, wait_ready
from lottery.events import publish_event
from lottery.games import get_game
from lottery.sim.crash_strategies import NO_EDGE
from lottery.sources.base import Draw
from lottery.store import draws

pytestmark = pytest.mark.browser

GAME = get_game("Crash")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


class CrashSite(AppSite):
    """The app on 127.0.0.1 with a simulator worker; rounds are stored and announced by hand."""

    def __init__(self, settings, redis_url):
        settings = settings.with_(games=("WinGo_1M", "Crash"), simulator_ack_timeout=5.0)
        self.r = redis.Redis.from_url(redis_url)
        self.serve(settings, redis_url)
        self.start_simulator_worker(settings, redis_url, beat=True)

    def play(self, n: int, x: float) -> None:
        d = Draw(GAME.code, str(n), x, source="test")
        draws.add_draws(self.r, GAME, [d], 10_000)
        publish_event(self.r, "draw", GAME.code, {"issue": str(n), **d.to_record(GAME)})


@pytest.fixture
def site(settings, r, redis_url):
    live = CrashSite(settings, redis_url)
    yield live
    live.close()


def with_session(site) -> None:
    """A running session with settled rounds (each round played once its bet is placed)."""
    site.play(1, 1.5)
    res = site.app.test_client().post("/api/simulator/start?game=Crash", headers=ADMIN_HEADERS,
                                      json={"initial_wallet": 500, "cashout_strategy": {
                                          "is_active": True, "cashout_at": 2, "base_bet": 10}})
    assert res.status_code == 200, res.get_json()
    for n, x in ((2, 3.1), (3, 1.0), (4, 2.0)):
        site.play(n, x)
        # The next bet is placed once this round settles: wait for it before the next round.
        deadline = 200
        while (site.app.test_client().get("/api/simulator/status?game=Crash").get_json()
               ["state"]["last_simulated_issue"] != str(n)):
            deadline -= 1
            assert deadline > 0
            site.sim_worker.stop_event.wait(0.05)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_crash_simulator_page_runs_a_session_a_study_and_a_replay(site, tab, device):
    with_session(site)
    page = tab(**device).page
    page.goto(site.url + "/simulator?game=Crash")
    expect(page.locator('[data-field="honesty"]')).to_contain_text("returns 0.99 per unit")
    expect(page.locator("#game-select")).to_have_value("Crash")
    wait_ready(page, "crash-session")
    session = panel(page, "crash-session")
    expect(session.locator('[data-field="rounds"]')).to_have_text("3")
    expect(session.locator('[data-field="total-wallet"]')).to_have_text(re.compile(r"^510"))
    expect(session.locator('[data-field="statement"]')).to_have_text(NO_EDGE)
    expect(session.locator("tbody tr").first).to_contain_text("2.00x")

    wait_ready(page, "crash-montecarlo")
    mc = panel(page, "crash-montecarlo")
    mc.locator('select[name="strategy"]').select_option("streak_chaser")
    chaser = mc.locator('[data-strategy="streak_chaser"]')
    expect(chaser).to_be_visible()
    expect(mc.locator('[data-strategy="fixed"]')).to_be_hidden()
    chaser.locator('[name="target"]').fill("10")
    chaser.locator('[name="wait_rounds"]').fill("15")
    chaser.locator('[name="wait_under"]').fill("10")
    mc.locator('[name="sessions"]').fill("300")
    mc.locator('[name="rounds"]').fill("300")
    mc.locator('button[type="submit"]').click()
    expect(mc.locator('[data-field="form-msg"]')).to_contain_text("Done", timeout=30_000)
    expect(mc.locator('[data-field="expected"]')).to_have_text("0.9900")
    expect(mc.locator('[data-field="ruin"]')).to_contain_text("n = 300")
    expect(mc.locator('[data-field="statement"]')).to_have_text(NO_EDGE)

    replay = panel(page, "crash-replay")
    replay.locator('[name="chain"]').fill("my own test chain")
    replay.locator('[name="count"]').fill("250")
    replay.locator('select[name="strategy"]').select_option("martingale_script")
    replay.locator('button[type="submit"]').click()
    expect(replay.locator('[data-field="form-msg"]')).to_have_text("Done.", timeout=30_000)
    expect(replay.locator('[data-field="rounds"]')).to_have_text("250")
    expect(replay.locator('[data-field="statement"]')).to_have_text(NO_EDGE)
    expect(replay.locator('[data-field="chart"] polyline')).to_have_count(1)

    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.dataset.field || ''))""")
    assert width <= device["viewport"]["width"], f"the page is {width}px wide: {wide}"


def test_a_bad_target_on_the_page_is_explained_and_runs_nothing(site, tab):
    page = tab(**DESKTOP).page
    page.goto(site.url + "/simulator?game=Crash")
    wait_ready(page, "crash-montecarlo")
    mc = panel(page, "crash-montecarlo")
    mc.locator('[data-strategy="fixed"] [name="target"]').fill("1")
    mc.locator('button[type="submit"]').click()
    expect(mc.locator('[data-field="form-msg"]')).to_contain_text("at least 1.01x")
    expect(mc.locator('[data-field="result"]')).to_be_hidden()
