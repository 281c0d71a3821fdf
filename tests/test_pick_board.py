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


def _csv(rows, bad_line=None):
    from lottery.games.pick import POWERBALL
    from lottery.games.pick_csv import format_row, header_of

    lines = [",".join(header_of("winning_numbers", POWERBALL))]
    lines += [",".join(format_row("winning_numbers", POWERBALL, issue, outcome))
              for issue, outcome in rows]
    if bad_line:
        lines.insert(2, bad_line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_pick_admin_imports_with_preview_enters_rolls_back_and_reports(pick_site, tab, viewport):
    from conftest import ADMIN_TOKEN
    from lottery.games.pick import POWERBALL
    from lottery.store import draws

    url, r = pick_site
    before = draws.count(r, "Powerball")
    rows = [(d, POWERBALL.parse_outcome([k, k + 10, k + 20, k + 30, k + 40, k], d))
            for k, d in enumerate(["2025-01-04", "2025-01-06", "2025-01-08"], start=1)]
    page = tab(viewport=viewport).page
    page.goto(url + "/?game=Powerball")
    wait_ready(page, "pick-draws")
    admin = page.locator('[data-panel="pick-admin"]')
    msg = admin.locator('[data-field="import-msg"]')
    admin.locator('[data-field="csv"]').fill(_csv(rows))
    admin.get_by_role("button", name="Preview").click()
    expect(msg).to_contain_text("Enter the admin token first")
    admin.locator('[data-field="token"]').fill(ADMIN_TOKEN)
    admin.get_by_role("button", name="Keep for this tab").click()
    # A file with a bad line: the errors by line, and no way to import it.
    admin.locator('[data-field="csv"]').fill(_csv(rows, bad_line="01/05/2025,01 02 03 04 05 06,"))
    admin.get_by_role("button", name="Preview").click()
    expect(admin.locator('[data-field="preview-errors"]')).to_contain_text("line 3: 2025-01-05 is not a draw date")
    expect(admin.get_by_role("button", name="Import")).to_be_disabled()
    admin.locator('[data-field="csv"]').fill(_csv(rows))
    admin.get_by_role("button", name="Preview").click()
    expect(admin.locator('[data-field="preview-summary"]')).to_contain_text("3 row(s) from 2025-01-04 to 2025-01-08 · would add 3")
    expect(admin.locator('[data-field="preview"] tbody tr')).to_have_count(3)
    assert draws.count(r, "Powerball") == before  # a preview stores nothing
    admin.get_by_role("button", name="Import").click()
    expect(msg).to_contain_text("Stored as version 1: 3 new draw(s)")
    expect(page.locator('[data-panel="pick-draws"] [data-field="count"]')).to_have_text(f"{before + 3} stored")
    version = admin.locator('[data-field="versions"] tr[data-version="1"]')
    expect(version).to_contain_text("active")
    # Manual entry, then its refusal of the same date.
    admin.locator('[data-field="manual-date"]').fill("2025-02-01")
    admin.locator('[data-field="manual-whites"]').fill("3 9 27 45 60")
    admin.locator('[data-field="manual-bonus"]').fill("7")
    admin.get_by_role("button", name="Store draw").click()
    expect(admin.locator('[data-field="manual-msg"]')).to_contain_text("Stored 2025-02-01: 3 9 27 45 60 + 7")
    admin.get_by_role("button", name="Store draw").click()
    expect(admin.locator('[data-field="manual-msg"]')).to_contain_text("already stored")
    # Rollback in two steps removes exactly the import's draws; the manual draw stays.
    version.get_by_role("button", name="Roll back").click()
    version.get_by_role("button", name="Confirm: remove the 3 draw(s) of v1").click()
    expect(admin.locator('[data-field="versions-msg"]')).to_contain_text("Version 1 rolled back: 3 draw(s) removed")
    expect(version).to_contain_text("rolled back")
    assert draws.count(r, "Powerball") == before + 1
    assert draws.get_draw(r, "Powerball", "2025-02-01")["source"] == "manual"
    admin.get_by_role("button", name="Run the report").click()
    expect(admin.locator('[data-field="report"]')).to_contain_text(
        f"Checked {before + 1} stored draw(s): 0 problem(s).")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
