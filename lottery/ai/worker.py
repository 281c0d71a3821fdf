"""The AI worker: asks an LLM provider for its own prediction of each open issue.

It listens on `lottery:ai_trigger` (one trigger per new open issue) and on the
events channel (settled draws resolve stored AI predictions). Pub/sub loses
what is sent while nobody listens, so on start and after every reconnect it
catches up from stored state: AI predictions whose draws exist are resolved,
and the newest pending report issues without an AI prediction are predicted.

An issue is predicted at most once: a stale trigger (the issue is settled or its
draw time is too close) is skipped, and a per-issue lease (SET NX with a short
expiry, owned by this process's token, renewed while it works and released when
done) makes duplicate triggers and replicas call the provider once. A crashed
worker's lease lapses within LEASE_TTL, and every issue it started on is kept in
an "open" set: a running worker asks again about an open issue nobody holds, and
records an open issue that reaches its draw without an answer as `failed` with
the reason. Switching the AI off cancels the call under way (no further attempt
starts). Without an API key the worker runs, says `disabled: no API key` in the
status and calls nothing.

CLI: `python -m lottery ai-worker` (also `python ai_worker.py`).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

import redis

from lottery import keys
from lottery.ai import store
from lottery.ai.provider import ChatProvider, ProviderError
from lottery.config import DEFAULT_GAME, Settings, redact_url
from lottery.events import Listener, publish_event
from lottery.games import GAMES, Game
from lottery.loop import StoppableLoop, process_token
from lottery.store import draws, heartbeat, predictions, scores

BUDGET_FRACTION = 0.5  # of a period: the most one issue may take, retries included
BUDGET_MAX = 60.0  # seconds, whatever the period
MIN_BUDGET = 1.0  # seconds before the draw below which an issue is not asked about
CATCH_UP_LIMIT = 5  # newest pending report issues looked at per game on (re)connect
HEARTBEAT_TTL = 90
HEARTBEAT_EVERY = 15.0
POLL_SECONDS = 1.0  # longest wait for a message before the loop looks at the flag and heartbeat
LEASE_TTL = 10.0  # seconds a claim outlives its owner; renewed every third of it while working
WATCH_EVERY = 0.25  # seconds between looks at the on/off flag during a provider call
OPEN_CHECK_EVERY = 1.0  # seconds between looks at issues started and not answered
NO_ANSWER = ("no answer before the draw: the worker asking about it stopped or crashed, "
             "and no worker could ask again in time")


class AIWorker(StoppableLoop):
    """Turn triggers into stored, scored AI predictions; catch up after every (re)connect."""

    def __init__(self, settings: Settings, connection, url: str | None = None,
                 provider: ChatProvider | None = None, *, clock=None, outcomes=None,
                 catch_up_limit: int = CATCH_UP_LIMIT, poll_seconds: float = POLL_SECONDS,
                 lease_ttl: float = LEASE_TTL, name: str = store.PROCESS):
        self.settings = settings
        self.r = connection
        self.url = url or settings.redis_url
        if provider is None and settings.ai_api_keys:
            provider = ChatProvider.from_settings(settings)
        self.provider = provider
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        # Optional queue of (source, game, issue, outcome) for tests; source "session" tells
        # when a subscription is "listening" or "lost".
        self.outcomes = outcomes
        self.catch_up_limit = catch_up_limit
        self.poll_seconds = poll_seconds
        self.lease_ttl = lease_ttl
        self._last_open_check = 0.0
        self.name = name
        self.log = logging.getLogger(f"lottery.{name}")
        self.stop_event = threading.Event()
        self.ready = threading.Event()  # set once subscribed and caught up
        self.iterations = 0
        self.token = process_token()
        self._enabled: bool | None = None
        self._last_beat = 0.0

    @property
    def key_configured(self) -> bool:
        return self.provider is not None and self.provider.configured

    # -- lifecycle -----------------------------------------------------------
    def run(self, max_iterations: int | None = None) -> int:
        """Listen until stopped (or `max_iterations` waits); return the iterations run."""
        from lottery.store.connection import pubsub_client

        self.log.info("started for %s: model %s at %s, API key %s", ", ".join(self.settings.games),
                      self.settings.ai_model, redact_url(self.settings.ai_base_url),
                      "configured" if self.key_configured else "missing (AI disabled)")
        client = pubsub_client(self.url)
        listener = Listener(
            lambda: client, (keys.AI_TRIGGER_CHANNEL, keys.EVENTS_CHANNEL), self._on_message,
            stop=self.stop_event, on_connected=self._connected, on_idle=self._on_idle,
            on_lost=self._lost, poll=self.poll_seconds, backoff=(0.5, 30.0), log=self.log,
            should_stop=lambda: max_iterations is not None and self.iterations >= max_iterations)
        try:
            listener.run()
        finally:
            self.ready.clear()
            client.close()
            if self.provider is not None:
                self.provider.close()
            self._goodbye()
            self.log.info("stopped after %d iterations", self.iterations)
        return self.iterations

    def _connected(self) -> None:
        """Subscribed (before catching up, so nothing published meanwhile is lost): catch up."""
        self._announce()
        self.catch_up()
        self.ready.set()
        self._outcome("session", "", "", "listening")
        self.log.info("listening on %s and %s", keys.AI_TRIGGER_CHANNEL, keys.EVENTS_CHANNEL)

    def _lost(self) -> None:
        # Keep running: the next subscription catches up on what was missed.
        self.ready.clear()
        self._outcome("session", "", "", "lost")

    def _on_message(self, channel: str, data) -> None:
        self.iterations += 1
        self._dispatch(channel, data)
        self._tick()

    def _on_idle(self) -> None:
        self.iterations += 1
        self._tick()

    def _announce(self) -> None:
        """Report state and key presence, and make each report's ai_enabled agree with it."""
        store.set_worker_fields(self.r, key_configured=self.key_configured,
                                model=self.settings.ai_model,
                                provider=redact_url(self.settings.ai_base_url),
                                worker_state="running", started_at=store.now_iso())
        self._beat()
        self._enabled = store.ai_enabled(self.r, self.settings)
        for code in self.settings.games:
            raw = predictions.read_report(self.r, code)
            if raw is not None and json.loads(raw).get("ai_enabled") != self._enabled:
                predictions.patch_reports(self.r, [code], ai_enabled=self._enabled)

    def _tick(self) -> None:
        """Heartbeat now and then; when the AI has just been switched on, catch up at once."""
        if time.monotonic() - self._last_beat >= HEARTBEAT_EVERY:
            self._beat()
        enabled = store.ai_enabled(self.r, self.settings)
        if enabled and self._enabled is False:
            self.log.info("AI switched on; catching up")
            self.catch_up()
        self._enabled = enabled
        if time.monotonic() - self._last_open_check >= OPEN_CHECK_EVERY:
            self.check_open()

    def _beat(self) -> None:
        heartbeat.beat(self.r, self.name, self.token, HEARTBEAT_TTL,
                       games=list(self.settings.games))
        self._last_beat = time.monotonic()

    def _goodbye(self) -> None:
        try:
            store.set_worker_fields(self.r, worker_state="stopped")
        except redis.RedisError:
            pass
        heartbeat.clear(self.r, self.name, self.token)

    # -- messages ------------------------------------------------------------
    def _dispatch(self, channel: str, raw) -> None:
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError):
            self.log.warning("ignored a message on %s that is not a JSON object", channel)
            return
        try:
            if channel == keys.AI_TRIGGER_CHANNEL:
                # Upstream triggers carry no game: they are for the default game.
                self.handle_trigger(str(data.get("game") or DEFAULT_GAME), str(data.get("issue")),
                                    "trigger")
            elif channel == keys.EVENTS_CHANNEL and data.get("type") == "draw":
                self.resolve_settled(str(data.get("game") or DEFAULT_GAME))
        except redis.RedisError:
            raise
        except Exception:
            # One bad message must not stop the worker.
            self.log.exception("failed to handle a message on %s", channel)

    def catch_up(self) -> None:
        """Score what has settled, then predict recent pending issues without an AI prediction."""
        for code in self.settings.games:
            self.resolve_settled(code)
        for code in self.settings.games:
            for issue in predictions.pending_issues(self.r, code, self.catch_up_limit):
                self.handle_trigger(code, issue, "catch-up")
        self.check_open()

    def check_open(self) -> None:
        """Ask again about started issues whose lease lapsed; fail those drawn without answer."""
        self._last_open_check = time.monotonic()
        for code in self.settings.games:
            game = GAMES[code]
            for issue in store.open_issues(self.r, code):
                if store.has_prediction(self.r, code, issue):
                    store.close_open(self.r, code, issue)
                elif store.leased(self.r, code, issue):
                    continue  # a live process is still working on it
                elif (draws.get_draw(self.r, code, issue) is not None
                      or self._seconds_left(game, issue) < MIN_BUDGET):
                    self._store_failure(game, issue, NO_ANSWER, attempts=0, latency_ms=None)
                    self._outcome("open", code, issue, "failed")
                else:
                    self.handle_trigger(code, issue, "retry")

    def resolve_settled(self, game_code: str) -> int:
        """Score the stored AI predictions of a game whose draws are in; return how many."""
        if game_code not in self.settings.games:
            return 0
        resolved = 0
        for issue in store.unresolved_issues(self.r, game_code):
            draw = draws.get_draw(self.r, game_code, issue)
            if draw is not None and store.resolve(self.r, game_code, issue,
                                                  GAMES[game_code].decode_outcome(draw)):
                resolved += 1
                self._outcome("resolve", game_code, issue, "resolved")
        return resolved

    def handle_trigger(self, game_code: str, issue: str, source: str = "trigger") -> str:
        """Predict `issue` once if it is open, the AI is on and nobody has; return the outcome."""
        outcome = self._handle(game_code, issue)
        self.log.debug("%s %s %s: %s", source, game_code, issue, outcome)
        self._outcome(source, game_code, issue, outcome)
        return outcome

    def _handle(self, game_code: str, issue: str) -> str:
        if game_code not in self.settings.games:
            return "ignored: game not enabled"
        game = GAMES[game_code]
        try:
            game.parse_issue(issue)
        except ValueError:
            self.log.warning("ignored a trigger for %s with an invalid issue %r", game_code, issue)
            return "ignored: invalid issue"
        ai = game.ai()
        if ai is None or (game.draw_time(issue) is None
                          and getattr(ai, "budget_seconds", None) is None):
            return "ignored: the AI does not play this game"
        if not self.key_configured:
            return "no_key"
        if not store.ai_enabled(self.r, self.settings):
            return "disabled"
        if draws.get_draw(self.r, game_code, issue) is not None:
            return "stale"
        if self._seconds_left(game, issue) < MIN_BUDGET:
            return "late"
        if store.has_prediction(self.r, game_code, issue):
            return "duplicate"
        if not store.claim(self.r, game_code, issue, self.lease_ttl, self.token):
            return "duplicate"
        try:
            store.mark_open(self.r, game, issue)
            return self._predict(game, issue)
        finally:
            store.release(self.r, game_code, issue, self.token)

    def _seconds_left(self, game: Game, issue: str) -> float:
        when = game.draw_time(issue)
        if when is None:
            # Feed-driven rounds (crash) have no clock: the adapter's budget (the betting
            # phase); the draw's arrival is checked before and after the call.
            return game.ai().budget_seconds
        return (when - self.clock()).total_seconds()

    def _predict(self, game: Game, issue: str) -> str:
        ai = game.ai()
        interval = game.interval_before(issue)
        budget = min(BUDGET_FRACTION * interval if interval else BUDGET_MAX, BUDGET_MAX,
                     self._seconds_left(game, issue) - MIN_BUDGET / 2)
        outcomes = draws.recent_outcomes(self.r, game, ai.history)
        messages = ai.build_messages(game, issue, outcomes)
        self.log.debug("prompt for %s %s: %s", game.code, issue, messages[-1]["content"])
        t0 = time.monotonic()
        answer, reason, calls, text = None, None, [], None
        with _Watch(self, game.code, issue) as cancel:
            try:
                completion = self.provider.complete(messages, budget, cancel)
                calls, text = completion.calls, completion.text
                answer = ai.parse(text)
            except ProviderError as exc:
                calls, reason = exc.calls, exc.reason
            except ai.InvalidAnswer as exc:
                reason = f"invalid answer: {exc}"
                self.log.debug("invalid answer for %s %s: %r", game.code, issue, text)
        latency_ms = round((time.monotonic() - t0) * 1000.0, 1)
        store.record_calls(self.r, calls)
        if cancel.is_set() and cancel.reason == STOPPING:
            # Left open for the next worker (or recorded as failed at the draw).
            self.log.info("%s %s: stopping; the provider call was abandoned", game.code, issue)
            return "abandoned"
        if answer is not None and (draws.get_draw(self.r, game.code, issue) is not None
                                   or self._seconds_left(game, issue) <= 0):
            # An answer that arrives after the draw is not a prediction.
            answer, reason = None, "late: the issue was drawn before the answer arrived"
        if answer is None:
            self._store_failure(game, issue, reason, len(calls), latency_ms)
            return "cancelled" if cancel.is_set() else "failed"
        entry = {"game": game.code, "issue": issue, "status": "ok",
                 "model": self.provider.model, "latency_ms": latency_ms, "attempts": len(calls),
                 "timestamp": store.now_iso(), **ai.entry_fields(answer)}
        store.save_prediction(self.r, game, entry, self.settings.max_predictions)
        scores.record(self.r, game.code, issue, {store.AI_PREDICTOR: ai.prediction(answer)})
        store.record_outcome(self.r, entry)
        publish_event(self.r, "ai_prediction", game.code, entry)
        self.log.info("%s %s: AI predicted %s in %.0f ms", game.code, issue,
                      ai.describe(answer), latency_ms)
        return "stored"

    def _store_failure(self, game: Game, issue: str, reason: str, attempts: int,
                       latency_ms: float | None) -> None:
        """Store, count and announce an issue without a usable answer, with the reason."""
        entry = {"game": game.code, "issue": issue, "status": "failed",
                 "model": self.provider.model if self.provider else self.settings.ai_model,
                 "latency_ms": latency_ms, "attempts": attempts, "timestamp": store.now_iso(),
                 "reason": reason, **game.ai().entry_fields(None)}
        store.save_prediction(self.r, game, entry, self.settings.max_predictions)
        store.record_outcome(self.r, entry)
        publish_event(self.r, "ai_prediction", game.code, entry)
        self.log.warning("%s %s: no AI prediction: %s", game.code, issue, reason)

    def _outcome(self, source: str, game_code: str, issue: str, outcome: str) -> None:
        if self.outcomes is not None:
            self.outcomes.put((source, game_code, issue, outcome))


STOPPING = "cancelled: the worker is stopping"
SWITCHED_OFF = f"{store.CANCELLED}: the AI was switched off (POST /api/ai/stop) during the call"
LEASE_LOST = f"{store.CANCELLED}: this worker's claim on the issue lapsed"


class _Watch:
    """While a provider call runs: renew the lease, and cancel the call on stop or switch-off.

    A helper thread does both, because the calling thread is inside the HTTP request.
    """

    def __init__(self, worker: AIWorker, game_code: str, issue: str):
        self.worker, self.game_code, self.issue = worker, game_code, issue
        self.cancel = threading.Event()
        self.cancel.reason = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ai-lease", daemon=True)

    def __enter__(self) -> threading.Event:
        self._thread.start()
        return self.cancel

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _stop(self, reason: str) -> None:
        self.cancel.reason = reason
        self.cancel.set()

    def _run(self) -> None:
        w = self.worker
        next_renew = time.monotonic() + w.lease_ttl / 3
        while not self._done.wait(WATCH_EVERY):
            try:
                if w.stop_event.is_set():
                    return self._stop(STOPPING)
                if not store.flag_on(w.r):
                    return self._stop(SWITCHED_OFF)
                if time.monotonic() >= next_renew:
                    if not store.renew(w.r, self.game_code, self.issue, w.token, w.lease_ttl):
                        return self._stop(LEASE_LOST)
                    next_renew = time.monotonic() + w.lease_ttl / 3
            except redis.RedisError:
                continue  # Redis is briefly away: keep the call; the next look retries


# -- CLI: python -m lottery ai-worker ---------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="stop after this many waits for a message (for tests)")


def run(args, settings: Settings) -> int:
    """Run the AI worker until SIGTERM."""
    from lottery.logs import configure_logging
    from lottery.store.connection import connect, redis_url_or_explain

    configure_logging(settings, "ai-worker")
    url = redis_url_or_explain(settings, logging.getLogger(f"lottery.{store.PROCESS}"))
    if not url:
        return 2
    worker = AIWorker(settings, connect(url), url)
    worker.install_signal_handlers()
    worker.run(args.max_iterations)
    return 0
