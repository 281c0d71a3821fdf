"""Headless Chromium for the page tests: a tab that records page and console errors, and
the app served on 127.0.0.1 for it to load."""
from __future__ import annotations

import threading
from pathlib import Path

import redis
from playwright.sync_api import expect
from werkzeug.serving import make_server

from conftest import join_thread
from lottery.sim.worker import SimulatorWorker
from lottery.web import create_app, stream

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Page:
    """A fresh browser tab that records page errors and console errors."""

    def __init__(self, browser, name, **context_args):
        self.context = browser.new_context(**context_args)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.name = name
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        # The browser itself logs every 4xx/5xx response as "Failed to load resource";
        # those are expected here (e.g. no AI prediction yet). Script errors are not.
        self.page.on("console", lambda msg: self.errors.append(msg.text)
                     if msg.type == "error" and "Failed to load resource" not in msg.text else None)

    def close(self):
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            self.page.screenshot(path=str(ARTIFACTS / f"{self.name}.png"), full_page=True)
        finally:
            self.context.close()


def panel(page, name):
    return page.locator(f'[data-panel="{name}"]')


def wait_ready(page, name):
    expect(panel(page, name)).to_have_attribute("data-state", "ready")


class AppSite:
    """The app served on 127.0.0.1 from a thread, with a simulator worker when started."""

    sim_worker = None

    def serve(self, settings, redis_url):
        """Create the app and serve it on a free port of 127.0.0.1."""
        self.app = create_app(settings, redis.Redis.from_url(redis_url))
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def start_simulator_worker(self, settings, redis_url, *, beat=False):
        """Run a simulator worker on a thread (beat: alive before its loop begins)."""
        self.sim_worker = SimulatorWorker(settings, redis.Redis.from_url(redis_url),
                                          redis.Redis.from_url(redis_url))
        if beat:
            self.sim_worker.beat(force=True)
        self.sim_thread = threading.Thread(target=self.sim_worker.run, daemon=True)
        self.sim_thread.start()

    def close(self):
        """Stop the simulator worker, the app's streams and cache, and the server."""
        if self.sim_worker is not None:
            self.sim_worker.request_stop()
            join_thread(self.sim_thread, 10)
        stream.shutdown(self.app)
        self.app.extensions["lottery"]["prediction_cache"].stop()
        self.server.shutdown()
        self.server.server_close()
