"""Headless Chromium for the page tests: a tab that records page and console errors."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

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
