"""Outbound alert webhooks (Slack-compatible JSON), and `python -m lottery alerts`.

Why a process of its own: webhooks must work without a Telegram bot, and a slow or
failing receiver must never hold up the draw worker (which does no alert work at
all) or the bot's event loop. The loop is the shared `events.Listener`: on every
`prediction` event of a game with an alert rule it runs the rule (`alerts.check`),
then posts every alert this channel has not handled, each to every URL, with
bounded retries (transport errors, 429 and 5xx; Retry-After honoured up to a cap;
other 4xx are not retried). Replicas share the work through a per-alert claim.
Webhook URLs carry their own secret: they are only ever named "webhook #N".
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Callable

import httpx
import redis
import tenacity

from lottery import alerts, keys
from lottery.config import Settings
from lottery.events import Listener
from lottery.httputil import Retryable, bounded_retries, refusal
from lottery.logs import HTTP_LOGGERS, keep_quiet
from lottery.loop import StoppableLoop

log = logging.getLogger("lottery.alerts")
CHANNEL = "webhook"
RETRY_AFTER_CAP = 60.0  # a receiver asking for a longer pause gets this alert dropped


class WebhookSender:
    """Post an alert to each configured URL, retrying with bounds; never raise."""

    def __init__(self, urls: tuple[str, ...], client: httpx.Client, *, attempts: int = 4,
                 max_elapsed: float = 90.0, backoff: tuple[float, float] = (0.5, 8.0),
                 sleep: Callable[[float], None] = time.sleep):
        self.urls = urls
        self.client = client
        self.attempts = attempts
        self.max_elapsed = max_elapsed
        self._backoff = tenacity.wait_exponential_jitter(multiplier=backoff[0], max=backoff[1],
                                                         jitter=backoff[0])
        self.sleep = sleep
        keep_quiet(HTTP_LOGGERS)  # a webhook URL is a secret

    def deliver(self, alert: alerts.Alert) -> int:
        """Post an alert to every URL; return how many accepted it."""
        body = alerts.slack_payload(alert)
        return sum(self.post(i, url, body) for i, url in enumerate(self.urls, 1))

    def post(self, index: int, url: str, body: dict) -> bool:
        """Post one body to one URL with bounded retries; return True once it is accepted."""
        retrying = bounded_retries(
            self.attempts, self.max_elapsed, self._backoff, self.sleep,
            lambda state: log.info("webhook #%d: attempt %d failed (%s); retrying in %.2f s",
                                   index, state.attempt_number,
                                   _describe(state.outcome.exception()), state.upcoming_sleep))
        try:
            retrying(self._post_once, url, body)
            return True
        except (httpx.TransportError, Retryable) as exc:
            log.warning("webhook #%d: alert dropped after %d attempt(s): %s", index,
                        retrying.statistics.get("attempt_number", self.attempts), _describe(exc))
        except _Refused as exc:
            log.warning("webhook #%d: alert refused: %s", index, exc)
        except httpx.HTTPError as exc:  # an unusable URL and the like: no point retrying
            log.warning("webhook #%d: alert not sent: %s", index, type(exc).__name__)
        return False

    def _post_once(self, url: str, body: dict) -> None:
        resp = self.client.post(url, json=body)
        refused = refusal(resp.status_code, resp.headers, RETRY_AFTER_CAP)
        if refused:
            raise _Refused(refused)


class _Refused(Exception):
    """The receiver answered in a way retrying cannot fix."""


def _describe(exc: BaseException | None) -> str:
    """Return a short reason without URLs (httpx's messages quote them)."""
    if isinstance(exc, (Retryable, _Refused)):
        return str(exc)
    return type(exc).__name__ if exc is not None else "unknown error"


class WebhookLoop(StoppableLoop):
    """Run the alert rules on prediction events and post new alerts to the webhooks."""

    def __init__(self, settings: Settings, r, sender: WebhookSender, *,
                 connect: Callable[[], "redis.Redis"] | None = None,
                 max_age: float = alerts.MAX_AGE):
        self.settings = settings
        self.r = r
        self.sender = sender
        self.connect = connect or (lambda: r)
        self.max_age = max_age
        self.games = alerts.alert_games(settings)
        self.stop_event = threading.Event()
        self.log = log
        self.delivered = 0  # alerts accepted by at least one URL (tests, logs)

    def run(self, max_sessions: int | None = None) -> None:
        """Follow events and alerts until stopped."""
        self.log.info("alert webhooks: %d URL(s), games %s", len(self.sender.urls),
                      ", ".join(self.games) or "none")
        Listener(self.connect, (keys.EVENTS_CHANNEL, keys.ALERTS_CHANNEL), self.on_message,
                 stop=self.stop_event, on_connected=self.catch_up, log=self.log).run(max_sessions)

    def on_message(self, channel: str, data) -> None:
        """Run the rule on a prediction event; deliver on any message."""
        if channel == keys.EVENTS_CHANNEL:
            event = json.loads(data)
            if event.get("type") != "prediction" or event.get("game") not in self.games:
                return
            alerts.check(self.r, self.settings, event["game"])
        self.deliver_pending()

    def catch_up(self) -> None:
        """After every (re)subscription: run the rules once and deliver what is pending."""
        for code in self.games:
            alerts.check(self.r, self.settings, code)
        self.deliver_pending()

    def deliver_pending(self) -> int:
        """Post every alert this channel has not handled yet; return how many were accepted."""
        sent = 0
        batch = alerts.pending(self.r, CHANNEL, max_age=self.max_age)
        while batch and not self.stop_event.is_set():
            for alert in batch:
                if self.stop_event.is_set():
                    break
                if alerts.claim(self.r, CHANNEL, alert.id) and self.sender.deliver(alert):
                    sent += 1
                alerts.done(self.r, CHANNEL, alert.id)
            batch = alerts.pending(self.r, CHANNEL, max_age=self.max_age)
        self.delivered += sent
        return sent


# -- CLI: python -m lottery alerts --------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--max-sessions", type=int, default=None,
                        help="stop after this many subscriptions (for tests)")


def run(args, settings: Settings) -> int:
    """Deliver alerts to the webhooks until SIGTERM; explain and return 2 when none is set."""
    from lottery.logs import configure_logging
    from lottery.store.connection import connect, pubsub_client, redis_url_or_explain

    if not settings.alert_webhook_urls:
        print("alerts: nothing to do; set ALERT_WEBHOOK_URLS (Telegram alerts are sent by the "
              "bot)", file=sys.stderr)
        return 2
    configure_logging(settings, "alerts")
    url = redis_url_or_explain(settings, log)
    if not url:
        return 2
    r = connect(url)
    listen = pubsub_client(url)
    # One long-lived client; redirects are not followed (the body must not travel elsewhere).
    with httpx.Client(timeout=httpx.Timeout(10.0), follow_redirects=False) as client:
        sender = WebhookSender(settings.alert_webhook_urls, client)
        loop = WebhookLoop(settings, r, sender, connect=lambda: listen)
        sender.sleep = loop.stop_event.wait  # a retry's pause ends at SIGTERM
        loop.install_signal_handlers()
        try:
            loop.run(args.max_sessions)
        finally:
            listen.close()
            r.close()
    return 0
