"""Shared fixtures: a real Redis server for the whole session, the app, its client and the
admin header.

The server is an embedded valkey-server started for the session, or the one at
TEST_REDIS_URL (a test-only variable: a developer's REDIS_URL is never used, so
the suite cannot flush their data). Each test that uses it gets an empty
database; a TEST_REDIS_URL database that holds data at the start is refused.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import redis
from hypothesis import settings as hypothesis_settings

from fake_telegram import FakeTelegram
from lottery.config import Settings
from lottery.store.embedded import EmbeddedRedis


# Hypothesis' per-example deadline is a timing assertion: on a loaded 2-core CI machine it
# failed examples that pass, so property tests check behaviour only.
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")

ADMIN_TOKEN = "test-admin-token"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def redis_url():
    """URL of a real Redis server for the test session."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        client = redis.Redis.from_url(url)
        try:
            if client.dbsize():
                pytest.exit("TEST_REDIS_URL points at a database that holds data; the tests "
                            "empty it before each test, so give them an empty one", returncode=2)
        finally:
            client.close()
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="lottery-test-redis-") as tmp:
        server = EmbeddedRedis(Path(tmp), appendonly=False).start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def r(redis_url):
    """A client of the real server, on an empty database."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def settings(redis_url, tmp_path):
    """Settings for tests: real Redis, a temp data folder, a fixed simulator secret."""
    return Settings.from_env({}, dotenv=False).with_(
        redis_url=redis_url, data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN,
        sim_secret="test-secret", sim_backfill=50,
        games=("WinGo_1M",))  # one game unless a test asks for more (the default adds Crash, Powerball)


def make_app(settings, r):
    """Return a web app on the test Redis (close it with `close_app`)."""
    from lottery.web import create_app

    return create_app(settings, r)


def close_app(app) -> None:
    """Stop an app's background threads and check that they finished."""
    from lottery.web import close_app as close

    assert close(app), "the app's background threads did not finish"


@pytest.fixture
def app(settings, r):
    """The web app on the test Redis, closed (threads joined) after the test."""
    application = make_app(settings, r)
    yield application
    close_app(application)


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def app_factory(r):
    """Make apps with other settings; every one is closed after the test."""
    made = []

    def make(settings):
        made.append(make_app(settings, r))
        return made[-1]

    yield make
    for application in made:
        close_app(application)


@pytest.fixture
def admin_headers():
    """The Authorization header of the test admin token."""
    return dict(ADMIN_HEADERS)


def join_thread(thread, timeout: float = 30.0) -> None:
    """Join a thread and check that it has finished (a hung thread fails the test)."""
    thread.join(timeout)
    assert not thread.is_alive(), f"thread {thread.name} did not finish within {timeout} s"


def job_result(client, result_url: str, timeout: float = 30.0) -> dict:
    """Poll a queued simulator job's result URL, as a client does, until it is done."""
    deadline = time.monotonic() + timeout
    while (job := client.get(result_url).get_json())["status"] != "done":
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.05)  # no event reaches an HTTP client: it polls
    return job


# -- headless Chromium (the page tests) -------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    from pages import ARGS, CHROMIUM

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser, request):
    """Open tabs (`tab(**context_args)`); fails the test on any page or console error."""
    from pages import Page

    opened = []

    def open_tab(**context_args):
        page = Page(browser, request.node.name + (f"-{len(opened)}" if opened else ""),
                    **context_args)
        opened.append(page)
        return page

    yield open_tab
    for page in opened:
        page.close()
    errors = [e for page in opened for e in page.errors]
    assert errors == [], errors


@pytest.fixture
def fake():
    """A fake Telegram Bot API on 127.0.0.1 for one test."""
    with FakeTelegram() as server:
        yield server
