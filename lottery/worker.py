"""The draw worker: follows each game's draws on its clock (a period, a calendar, a feed).

Each step (per game, under a short Redis lock so replicas never step a game at
the same time): ingest settled draws idempotently (back-filling gaps), resolve
the predictions made for them, predict the open issue once, write the report,
publish a `prediction` event and the AI trigger. A Redis outage is waited out
with backoff; the next successful step back-fills what was missed.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import redis

from lottery import keys, reports
from lottery.ai import store as ai_store
from lottery.config import Settings
from lottery.evaluation.backtest import replay
from lottery.events import publish_event
from lottery.metrics import count_prediction
from lottery.games import Game, get_game
from lottery.loop import StoppableLoop, process_token
from lottery.predictors.base import Predictor
from lottery.sources.base import Source, SourceError
from lottery.store import draws, heartbeat, predictions, scores

HEARTBEAT_TTL = 90
WARM_DRAWS = 100_000  # predictors are warmed on at most this many stored draws
# The replayed record covers at most this many newest draws: ~0.3 s for WinGo's
# predictors (bench/anytime.py --replay), so the first prediction is never late.
REPLAY_MAX = 5_000
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class SystemClock:
    """Real time; waits are interruptible by the stop event."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(max(0.0, seconds))


@dataclass
class GameState:
    """What the worker keeps in memory for one game (rebuilt from Redis when unsure)."""

    game: Game
    predictors: list[Predictor] = field(default_factory=list)
    fed_through: str | None = None  # newest issue fed to the predictors
    outcomes: list = field(default_factory=list)  # recent outcomes for the report, bounded


@dataclass
class StepResult:
    game: str
    new_draws: int = 0
    predicted_issue: str | None = None
    published: bool = False
    waiting: bool = False  # the source has not delivered the newest draw yet
    locked_out: bool = False


class Worker(StoppableLoop):
    """Ingest draws and publish predictions for every configured game."""

    def __init__(self, settings: Settings, connection, source: Source, clock=None,
                 name: str = "worker"):
        self.settings = settings
        self.r = connection
        self.source = source
        self.clock = clock or SystemClock()
        self.name = name
        self.log = logging.getLogger(f"lottery.{name}")
        self.stop_event = threading.Event()
        self.token = process_token()
        self.states = {code: GameState(get_game(code)) for code in settings.games}
        self._release = self.r.register_script(_RELEASE_LOCK)
        self.iterations = 0

    # -- lifecycle -----------------------------------------------------------
    def run(self, max_iterations: int | None = None) -> int:
        """Loop until stopped (or `max_iterations` wake-ups); return the iterations run."""
        self.log.info("started for %s with the %s source", ", ".join(self.states), self.source.name)
        done = 0
        try:
            done = self.run_steps(self._wake, max_iterations=max_iterations,
                                  wait=lambda s: self.clock.wait(s, self.stop_event),
                                  on_redis_error=self._forget_state)
        finally:
            self._clear_heartbeat()
            self.log.info("stopped after %d iterations", done)
        return done

    def _wake(self) -> float:
        """Step every game once; return the seconds until the next wake-up."""
        self.iterations += 1
        self._beat_alive()
        return self.seconds_until_next_wake([self.step(code) for code in self.states])

    def _forget_state(self) -> None:
        for state in self.states.values():
            state.fed_through = None  # rebuild from Redis once it is back

    def seconds_until_next_wake(self, results: list[StepResult]) -> float:
        """Return how long to sleep: until the next draw (+ poll delay), or a short retry."""
        now = self.clock.now()
        waits = []
        for res in results:
            schedule = self.states[res.game].game.schedule
            if res.waiting or res.locked_out:
                waits.append(schedule.retry_seconds())
            else:
                waits.append(schedule.next_wake(now, self.settings.poll_delay))
        return max(0.05, min(waits)) if waits else 1.0

    # -- one step ------------------------------------------------------------
    def step(self, code: str) -> StepResult:
        """Ingest, resolve and predict for one game, if no other replica is doing it."""
        state = self.states[code]
        game = state.game
        result = StepResult(code)
        lock_key = keys.worker_lock(code)
        if not self.r.set(lock_key, self.token, nx=True, px=30_000):
            result.locked_out = True
            return result
        try:
            now = self.clock.now()
            self._sync_predictors(state)
            until = game.last_settled_issue(now)  # None: the feed decides (rounds)
            latest = draws.latest_issue(self.r, code)
            if (until is None or latest is None
                    or game.issue_ordinal(latest) < game.issue_ordinal(until)):
                try:
                    fetched = self.source.fetch(game, latest, until, now)
                except SourceError as exc:
                    self.log.warning("%s: source unavailable: %s", code, exc)
                    fetched = []
                new = draws.add_draws(self.r, game, fetched, self.settings.max_draws)
                for draw in new:
                    self._settle(state, draw.issue, draw.outcome, draw.to_record(game))
                result.new_draws = len(new)
                before, latest = latest, draws.latest_issue(self.r, code)
                if fetched and latest != before and not self.source.can_backfill():
                    # From the newest draw stored before (or, on a first start, the oldest
                    # one fetched) up to the newest now: any hole is a period the source lost.
                    first = (game.issue_ordinal(before) + 1 if before is not None
                             else min(game.issue_ordinal(d.issue) for d in fetched))
                    self._record_gaps(game, first, latest)
            # Ingest can be slow (a first-start back-fill): read the clock again so the
            # prediction is never for a period that closed meanwhile.
            now = self.clock.now()
            until = game.last_settled_issue(now)
            if until is None:  # feed-driven rounds: the open one follows the newest stored
                caught_up, open_issue = True, game.next_issue(latest) if latest else None
            else:
                caught_up, open_issue = latest is not None and latest == until, game.issue_at(now)
            if open_issue is None:
                result.waiting = True  # no round seen yet
            elif not caught_up and game.schedule.waiting_for_source(now):
                result.waiting = True  # give the source a little longer for the newest draw
            else:
                result.predicted_issue = open_issue
                result.published = self._predict(state, open_issue, now)
            self._replay_history(state)
            self._beat(code, result, now)
            return result
        finally:
            self._release(keys=[lock_key], args=[self.token])

    def _sync_predictors(self, state: GameState) -> None:
        """Make the in-memory predictors agree with the stored draws."""
        latest = draws.latest_issue(self.r, state.game.code)
        if state.fed_through is not None and state.fed_through == latest:
            return
        # Another replica ingested, or this worker (re)started: rebuild from history.
        outcomes = draws.recent_outcomes(self.r, state.game, WARM_DRAWS)
        state.predictors = state.game.predictors().build(seed=_seed_for(state.game.code))
        for o in outcomes:
            for p in state.predictors:
                p.update(o)
        state.outcomes = outcomes[-state.game.report_builder().window:]
        state.fed_through = latest

    def _replay_history(self, state: GameState) -> None:
        """Replay the predictors over stored history once: after a first-start back-fill or an
        import, a new user sees a labelled "replayed" record at once (never merged into live)."""
        game = state.game
        if scores.has_replay(self.r, game.code):
            return
        outcomes = draws.recent_outcomes(self.r, game, REPLAY_MAX)
        if not outcomes:
            return
        started = time.perf_counter()
        totals = replay(game, outcomes, seed=_seed_for(game.code))
        seconds = time.perf_counter() - started
        scores.save_replay(self.r, game, totals, len(outcomes),
                           draws.latest_issue(self.r, game.code), seconds)
        self.log.info("%s: replayed the predictors over %d stored draws in %.2f s",
                      game.code, len(outcomes), seconds)

    def _settle(self, state: GameState, issue: str, outcome, record: dict) -> None:
        """Resolve what was predicted for a newly stored draw and feed the predictors."""
        game, code = state.game, state.game.code
        builder = game.report_builder()
        stored = predictions.get_prediction(self.r, code, issue)
        if stored is not None and "result" not in stored:
            scored = game.score(stored, outcome)
            resolved = predictions.resolve_prediction(
                self.r, code, issue, builder.result_of(game, outcome),
                {market: bool(s[0]) for market, s in scored.items()})
            if resolved is not None:  # count once, after the result is stored
                builder.on_resolved(self.r, game, resolved, outcome)
        scores.resolve(self.r, code, issue, outcome)
        for p in state.predictors:
            p.update(outcome)
        state.outcomes.append(outcome)
        if len(state.outcomes) > 2 * builder.window:
            del state.outcomes[:-builder.window]
        state.fed_through = issue
        publish_event(self.r, "draw", code, {"issue": issue, **record})

    def _record_gaps(self, game: Game, first: int, latest: str) -> None:
        """Record the periods from ordinal `first` up to `latest` that the source skipped."""
        # Period ordinals, not strings: a platform's game code may differ from ours.
        last = game.issue_ordinal(latest)
        stored = draws.ordinals_between(self.r, game.code, first, last)
        missing = [game.issue_from_ordinal(o) for o in range(first, last) if o not in stored]
        if missing:
            draws.mark_missing(self.r, game, missing)
            self.log.warning("%s: %d periods missing from the source", game.code, len(missing))

    def _predict(self, state: GameState, issue: str, now: datetime) -> bool:
        """Predict `issue` once (first writer wins); publish it; return True if this call did."""
        game = state.game
        if predictions.get_prediction(self.r, game.code, issue) is not None:
            return False
        preds = {p.name: p.predict() for p in state.predictors}
        main = preds.get(game.predictors().report_predictor) or next(iter(preds.values()))
        scores.record(self.r, game.code, issue, preds)
        if not predictions.save_prediction(self.r, game, issue, main.to_dict(),
                                           self.settings.max_predictions):
            return False
        commitment = None
        if hasattr(self.source, "commitment"):
            commitment = self.source.commitment(game, issue)
            self.r.hset(keys.commitments(game.code), issue, commitment)
            self.r.hdel(keys.commitments(game.code), game.previous_issue(issue))
        body = game.report_builder().build(
            self.r, game, next_issue=issue, now=now, prediction=main, outcomes=state.outcomes,
            ai_enabled=ai_store.ai_enabled(self.r, self.settings), commitment=commitment)
        predictions.write_report(self.r, game.code, reports.encode(body))
        publish_event(self.r, "prediction", game.code, {"issue": issue})
        count_prediction(self.r, game.code)  # /metrics, /api/status: predictions per second
        self.r.publish(keys.AI_TRIGGER_CHANNEL, json.dumps({
            "trigger_type": "new_issue", "game": game.code, "issue": issue,
            "timestamp": now.isoformat(), "source": self.source.name}))
        self.log.info("%s: predicted %s (%s)", game.code, issue, main.predictor)
        hook = game.after_predict()
        if hook is not None:
            try:  # a family's extra step (e.g. ticket batches) never stops the draw worker
                hook(self.r, game, state.predictors, issue, now)
            except Exception:
                self.log.exception("%s: the after-prediction step failed", game.code)
        return True

    # -- status ----------------------------------------------------------------
    def _beat(self, code: str, result: StepResult, now: datetime) -> None:
        status = {"worker": self.name, "id": self.token, "game": code, "at": now.isoformat(),
                  "source": self.source.name, "new_draws": result.new_draws,
                  "predicted_issue": result.predicted_issue or "", "waiting": int(result.waiting)}
        self.r.hset(keys.worker_status(code), mapping=status)
        self._beat_alive()

    def _beat_alive(self) -> None:
        heartbeat.beat(self.r, self.name, self.token, HEARTBEAT_TTL, games=list(self.states))

    def _clear_heartbeat(self) -> None:
        heartbeat.clear(self.r, self.name, self.token)


def _seed_for(code: str) -> int:
    # A fixed seed per game makes the random control reproducible across restarts.
    return sum(code.encode())


def build_source(settings: Settings, r) -> Source:
    """Return the configured draw source."""
    if settings.source == "http":
        from lottery.sources.http_source import HttpSource

        return HttpSource(settings)
    from lottery.sources.simulated import SimulatedSource, forget_shared_secret, load_secret

    # One secret serves all games (each game's chain is keyed by its code). It stays in
    # this process: Redis only ever holds commitments and revealed seeds.
    log = logging.getLogger("lottery.worker")
    secret = load_secret(settings, log)
    if forget_shared_secret(r):
        log.warning("deleted the feed secret an older version stored in Redis; "
                    "draws now come from the new secret")
    return SimulatedSource(secret, backfill=settings.sim_backfill, max_draws=settings.max_draws,
                           connection=r)


# -- CLI: python -m lottery worker --------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="stop after this many wake-ups (for tests)")


def run(args, settings: Settings) -> int:
    """Run the draw worker until SIGTERM."""
    from lottery.logs import configure_logging
    from lottery.store.connection import connect, redis_url_or_explain

    configure_logging(settings, "worker")
    url = redis_url_or_explain(settings, logging.getLogger("lottery.worker"))
    if not url:
        return 2
    r = connect(url)
    source = None
    backoff = 1.0
    while source is None:
        try:
            source = build_source(settings, r)
        except redis.RedisError:
            logging.getLogger("lottery.worker").warning("redis unavailable; retrying")
            time.sleep(backoff + random.random())  # no event to wait on before Redis answers
            backoff = min(backoff * 2, 30)
    worker = Worker(settings, r, source)
    worker.install_signal_handlers()
    try:
        worker.run(args.max_iterations)
    finally:
        source.close()  # whoever builds the source closes it (the worker only borrows it)
    return 0
