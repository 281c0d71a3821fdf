"""The pick-lottery board in headless Chromium, at phone and desktop widths."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import redis
from playwright.sync_api import expect
from werkzeug.serving import make_server

from clock import FakeClock
from lottery.web import create_app, stream
from lottery.worker import Worker, build_source
from pages import wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def pick_site(settings, r, redis_url):
    pb = settings.with_(games=("Powerball", "WinGo_1M"))
    Worker(pb.with_(games=("Powerball",)), r, build_source(pb, r),
           clock=FakeClock(datetime.now(UTC))).run(max_iterations=1)
    app = create_app(pb, redis.Redis.from_url(redis_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", r
    stream.shutdown(app)
    app.extensions["lottery"]["prediction_cache"].stop()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_pick_board_shows_draws_tickets_insights_and_checks_a_ticket(pick_site, tab, viewport):
    url, r = pick_site
    from lottery.store import draws

    latest = draws.recent_draws(r, "Powerball", 1)[0]
    page = tab(viewport=viewport).page
    page.goto(url + "/?game=Powerball")
    for name in ("pick-next", "pick-draws", "pick-tickets", "pick-insights"):
        wait_ready(page, name)
    draws_panel = page.locator('[data-panel="pick-draws"]')
    expect(draws_panel.locator("tbody tr")).to_have_count(10)
    expect(draws_panel.locator("tbody tr").first).to_contain_text(latest["issue"])
    expect(page.locator('[data-panel="pick-next"] [data-field="countdown"]')).to_contain_text("draws in")
    expect(page.locator('[data-panel="pick-next"]')).to_contain_text("1 in 292,201,338")
    tickets = page.locator('[data-panel="pick-tickets"] tbody tr')
    expect(tickets.first).to_contain_text("random")
    expect(page.locator('[data-panel="pick-insights"]')).to_contain_text("same chance")
    # The checker: the last draw's own numbers win the jackpot, whose amount is never guessed.
    numbers = " ".join(str(n) for n in latest["whites"] + latest["bonus"])
    page.locator('[data-field="numbers"]').fill(numbers)
    page.locator('[data-field="date"]').fill(latest["issue"])
    page.get_by_role("button", name="Check").click()
    expect(page.locator('[data-panel="pick-checker"] [data-field="result"]')).to_contain_text(
        "5 white + 1 bonus matched: tier 5+1")
    page.locator('[data-field="numbers"]').fill("1 1 2 3 4 5")
    page.get_by_role("button", name="Check").click()
    expect(page.locator('[data-panel="pick-checker"] [data-field="message"]')).to_contain_text(
        "distinct")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
