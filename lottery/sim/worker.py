"""The simulator worker (`python -m lottery sim-worker`): the only writer of live sessions.

Each step applies the queued commands (start, stop, config), then every event
of the capped stream (lottery.events) newer than the last one it applied -
the id is kept in Redis, so a restart or a Redis outage resumes where it left
off. Pub/sub (the events channel and the simulator wake-up channel) only wakes
the loop early.

- `prediction` / `ai_prediction` event for issue X: sessions that follow that
  prediction place their bets for X (stakes leave the paper wallet).
- `draw` event for issue X: sessions with a bet on X settle it; the others
  record X as skipped. Sessions betting fixed targets then place their bets
  for the next issue at once.

Settling is idempotent per (session, issue): a session never touches an issue
at or before its last settled one.
"""
from __future__ import annotations

import logging
import threading
import time


from lottery import keys
from lottery.config import Settings
from lottery.events import Listener, publish_event, read_events_after
from lottery.games import GAMES, Game
from lottery.loop import StoppableLoop, process_token
from lottery.sim import sessions
from lottery.sim.jobs import JobRunner
from lottery.sim.strategies import SimInputError
from lottery.store import draws, heartbeat, predictions, scores

HEARTBEAT_TTL = 30
HEARTBEAT_EVERY = 5.0
WAIT_SECONDS = 1.0  # longest wait for a wake-up before the loop looks again
EVENT_BATCH = 500


class SimulatorWorker(StoppableLoop):
    """Apply session commands and settle live sessions on every draw."""

    def __init__(self, settings: Settings, connection, pubsub_connection=None, clock=time.time):
        self.settings = settings
        self.r = connection
        self.pubsub_connection = pubsub_connection
        self.clock = clock
        self.name = keys.SIM_WORKER
        self.log = logging.getLogger(f"lottery.{self.name}")
        self.stop_event = threading.Event()
        self.token = process_token()
        self._last_beat = 0.0
        self._last_step = 0.0
        self.iterations = 0

    # -- lifecycle -----------------------------------------------------------------
    def run(self, max_iterations: int | None = None) -> int:
        """Loop until stopped (or `max_iterations` wake-ups); return the iterations run."""
        self.log.info("started")
        self.iterations = 0
        # Heavy jobs (Monte Carlo, backtests) run beside the session loop, never in the web.
        jobs_stop = threading.Event()
        jobs = JobRunner(self.settings, self.r, jobs_stop).start()
        # An event or a queued command wakes a step; so does WAIT_SECONDS of quiet.
        listener = Listener(
            self._pubsub_client, (keys.EVENTS_CHANNEL, keys.SIM_WAKE_CHANNEL),
            lambda channel, data: self._wake(), stop=self.stop_event, on_connected=self._wake,
            on_idle=self._idle, on_lost=self._lost, poll=0.25, backoff=(1.0, 30.0), log=self.log,
            should_stop=lambda: max_iterations is not None and self.iterations >= max_iterations)
        try:
            listener.run()
        finally:
            jobs_stop.set()
            jobs.join(10)
            self._clear_heartbeat()
            self.log.info("stopped after %d iterations", self.iterations)
        return self.iterations

    def _pubsub_client(self):
        if self.pubsub_connection is None:
            from lottery.store.connection import pubsub_client

            self.pubsub_connection = pubsub_client(self.settings.redis_url)
        return self.pubsub_connection

    def _wake(self) -> None:
        """Beat, then apply what is queued and every new event (subscribed first: none is missed)."""
        self.iterations += 1
        self.beat()
        self.step()
        self._last_step = time.monotonic()

    def _idle(self) -> None:
        if time.monotonic() - self._last_step >= WAIT_SECONDS:
            self._wake()

    def _lost(self) -> None:
        self.iterations += 1  # a wake-up that found Redis away still counts

    def step(self) -> int:
        """Apply the queued commands, then every new event; return how many were handled."""
        handled = 0
        while (command := sessions.pop_command(self.r)) is not None:
            self.apply_command(command)
            handled += 1
        last = self.r.get(keys.SIM_LAST_EVENT)
        last = last.decode() if isinstance(last, bytes) else (last or "0")
        while True:
            events = read_events_after(self.r, last, count=EVENT_BATCH)
            for event in events:
                self.handle_event(event)
                last = event["id"]
                self.r.set(keys.SIM_LAST_EVENT, last)
            handled += len(events)
            if len(events) < EVENT_BATCH:
                return handled

    # -- commands ------------------------------------------------------------------
    def apply_command(self, command: dict) -> dict:
        """Apply one queued command, answer it, and return the answer."""
        now = self.clock()
        kind = command.get("type")
        try:
            if now - command.get("queued_at", now) > sessions.COMMAND_TTL:
                reply = _error(408, "expired", "the command waited too long and was not applied")
            elif kind == "start":
                reply = self._start(command, now)
            elif kind == "stop":
                reply = self._stop(command, now)
            elif kind == "config":
                reply = self._config(command, now)
            else:
                reply = _error(400, "bad_request", f"unknown command {kind!r}")
        except SimInputError as exc:
            reply = _error(400, "bad_request", str(exc))
        except (KeyError, TypeError, ValueError) as exc:
            self.log.warning("malformed command %s: %s", command.get("id"), exc)
            reply = _error(400, "bad_request", "malformed command")
        if command.get("id"):
            sessions.send_reply(self.r, command["id"], reply)
        return reply

    def _start(self, command: dict, now: float) -> dict:
        session_id = command["session_id"]
        existing = sessions.load_session(self.r, session_id)
        if existing is not None:  # the same command delivered twice
            return {"ok": True, "state": existing}
        running = [s for s in sessions.load_sessions(self.r) if s["is_running"]]
        if len(running) >= self.settings.simulator_max_sessions:
            return _error(409, "too_many_sessions",
                          f"{len(running)} sessions are running (the limit is "
                          f"{self.settings.simulator_max_sessions}); stop one first")
        game = GAMES[command["game"]]
        latest = draws.latest_issue(self.r, game.code)
        # Validated again: the queue is input too.
        config = sessions.parse_start(game, command["payload"])
        session = sessions.new_session(session_id, game.code, config, latest, now)
        notes = [{"issue": latest, "timestamp": session["started_at"],
                  "message": "session started: bets begin with the next open issue"}]
        if latest is not None:
            notes += self._try_place(session, game, game.next_issue(latest), now)
        self._save(session, notes, "started")
        sessions.prune(self.r)
        return {"ok": True, "state": session}

    def _stop(self, command: dict, now: float) -> dict:
        session = sessions.load_session(self.r, command["session_id"])
        if session is None:
            return _error(404, "not_found", f"no session {command['session_id']!r}")
        if session["is_running"]:
            self._save(session, [sessions.stop(session, "stopped_by_user", now)], "stopped")
        return {"ok": True, "state": session}

    def _config(self, command: dict, now: float) -> dict:
        session = sessions.load_session(self.r, command["session_id"])
        if session is None:
            return _error(404, "not_found", f"no session {command['session_id']!r}")
        if not session["is_running"]:
            return _error(409, "not_running", "the session is stopped; start a new one")
        # Validated again against the current state: an earlier change may have landed since.
        changes = sessions.parse_config(command["payload"], session)
        sessions.apply_config(session, changes, now)
        note = {"issue": session["last_simulated_issue"], "timestamp": session["updated_at"],
                "message": "configuration changed: " + ", ".join(sorted(changes))}
        self._save(session, [note], "config")
        return {"ok": True, "state": session}

    # -- events --------------------------------------------------------------------
    def handle_event(self, event: dict) -> None:
        """Place or settle bets for one stored event (draws and predictions; others are ignored)."""
        kind, code = event.get("type"), event.get("game")
        if kind not in ("draw", "prediction", "ai_prediction") or code not in GAMES:
            return
        data = event.get("data") or {}
        issue = data.get("issue")
        running = [s for s in sessions.load_sessions(self.r)
                   if s["is_running"] and s["game"] == code]
        if not running or not isinstance(issue, str):
            return
        game = GAMES[code]
        try:
            game.issue_ordinal(issue)
            # The draw event carries the stored record's fields: decode, then validate.
            outcome = game.parse_outcome(game.decode_outcome(data)) if kind == "draw" else None
        except (KeyError, TypeError, ValueError):
            self.log.warning("ignoring a %s event with a malformed issue or outcome", kind)
            return
        now = self.clock()
        for session in running:
            if kind == "draw":
                self._on_draw(session, game, issue, outcome, now)
            else:
                notes = self._on_prediction(session, game, issue, now)
                if notes is not None:
                    self._save(session, notes, None)

    def _on_draw(self, session: dict, game: Game, issue: str, outcome, now: float) -> None:
        for done in (session["start_after_issue"], session["last_simulated_issue"]):
            if done is not None and game.issue_ordinal(issue) <= game.issue_ordinal(done):
                return  # before the session, or already settled: idempotent
        history = self._settle_stale(session, game, issue, now)
        pending = session["pending"]
        if pending and pending["issue"] == issue:
            history.append(sessions.settle(session, game, issue, outcome, now))
            action = "settled"
        else:
            active = any(s["is_active"] for s in session["bet_strategies"].values())
            history.append(sessions.skip(session, issue, now, (
                "no bet was placed before the draw: the prediction it follows was not "
                "available in time" if active else "no active strategy")))
            action = "skipped"
        if session["is_running"]:
            history += self._try_place(session, game, game.next_issue(issue), now)
        self._save(session, history, action, issue)

    def _on_prediction(self, session: dict, game: Game, issue: str, now: float):
        """Try to place bets for `issue`; return history notes, or None when nothing changed."""
        notes = self._settle_stale(session, game, issue, now)
        notes += self._try_place(session, game, issue, now)
        placed = session["pending"] is not None and session["pending"]["issue"] == issue
        return notes if notes or placed else None

    def _settle_stale(self, session: dict, game: Game, issue: str, now: float) -> list[dict]:
        """Close a bet on an issue before `issue` whose draw event never came.

        It is settled from the stored draw when there is one, else refunded.
        """
        pending = session["pending"]
        if not pending or game.issue_ordinal(pending["issue"]) >= game.issue_ordinal(issue):
            return []
        stale = pending["issue"]
        draw = draws.get_draw(self.r, game.code, stale)
        if draw is not None:
            return [sessions.settle(session, game, stale, game.decode_outcome(draw), now)]
        note = sessions.void_pending(session, now, "no draw was recorded for this issue")
        session["last_simulated_issue"] = stale
        return [note]

    def _try_place(self, session: dict, game: Game, issue: str, now: float) -> list[dict]:
        """Place the session's bets for `issue` if it may and its predictions exist."""
        if not sessions.can_place(session, game, issue, now):
            return []
        if game.draw_time(issue) is None and draws.get_draw(self.r, game.code, issue) is not None:
            return []  # a feed-driven round already drawn (the worker is catching up): no bet
        wanted = set(sessions.prediction_sources(game, session).values())
        found = {source: self._prediction(game.code, issue, source) for source in wanted}
        return sessions.place(session, game, issue, found, now)

    def _prediction(self, game_code: str, issue: str, source: str) -> dict | None:
        """Return the prediction `source` stored for `issue` (only ever written before its draw)."""
        if source == sessions.REPORT:
            return predictions.get_prediction(self.r, game_code, issue)
        return scores.get_prediction(self.r, game_code, issue, source)

    def _save(self, session: dict, history: list[dict], action: str | None,
              issue: str | None = None) -> None:
        sessions.save_session(self.r, session, history, self.settings.simulator_history_limit)
        if action:
            publish_event(self.r, "simulator", session["game"], {
                "session_id": session["session_id"], "action": action, "issue": issue,
                "wallet": session["total_wallet"], "in_play": session["in_play"],
                "rounds": session["total_simulated_rounds"], "is_running": session["is_running"],
                "stop_reason": session["stop_reason"]})

    # -- wake-ups and heartbeat ------------------------------------------------------
    def beat(self, force: bool = False) -> None:
        """Refresh the heartbeat that tells the API the worker is running."""
        if not force and time.monotonic() - self._last_beat < HEARTBEAT_EVERY:
            return
        heartbeat.beat(self.r, self.name, self.token, HEARTBEAT_TTL)
        self._last_beat = time.monotonic()

    def _clear_heartbeat(self) -> None:
        heartbeat.clear(self.r, self.name, self.token)


def _error(status: int, code: str, message: str) -> dict:
    return {"ok": False, "status": status, "error": code, "message": message}


# -- CLI: python -m lottery sim-worker ------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="stop after this many wake-ups (for tests)")


def run(args, settings: Settings) -> int:
    """Run the simulator worker until SIGTERM."""
    from lottery.logs import configure_logging
    from lottery.store.connection import connect, redis_url_or_explain

    configure_logging(settings, keys.SIM_WORKER)
    url = redis_url_or_explain(settings, logging.getLogger(f"lottery.{keys.SIM_WORKER}"))
    if not url:
        return 2
    settings = settings.with_(redis_url=url)
    worker = SimulatorWorker(settings, connect(url))
    worker.install_signal_handlers()
    worker.run(args.max_iterations)
    return 0
