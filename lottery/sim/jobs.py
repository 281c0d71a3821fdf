"""Heavy simulator work (Monte Carlo studies, backtests) as queued jobs.

The web validates a request and queues a job (a bounded Redis list: 429 when
full); the simulator worker runs jobs one at a time in its own thread and
stores each result for JOB_TTL seconds, where `GET /api/simulator/jobs/<id>`
finds it. So a second of numpy never runs on the web's event loop.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid

import redis

from lottery import keys
from lottery.sim.strategies import SimInputError

JOB_TTL = 3600  # seconds a job's record (and result) is kept
KINDS = ("montecarlo", "backtest", "replay")  # replay: a family's own (crash hash chains)
log = logging.getLogger("lottery.sim_jobs")

# Queue only while fewer than ARGV[2] jobs wait: the check and the push are one step.
_SUBMIT = """
if redis.call('llen', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('set', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]))
redis.call('lpush', KEYS[1], ARGV[1])
return 1
"""


def submit(r, kind: str, game_code: str, body: dict, max_queued: int) -> dict | None:
    """Queue a validated job; return its record, or None when the queue is full."""
    job_id = uuid.uuid4().hex
    record = {"job_id": job_id, "kind": kind, "game": game_code, "status": "queued",
              "queued_at": time.time()}
    stored = json.dumps({**record, "body": body}, separators=(",", ":"))
    ok = r.eval(_SUBMIT, 2, keys.SIM_JOBS, keys.sim_job(job_id), job_id, max_queued, stored,
                JOB_TTL)
    return record if ok else None


def get(r, job_id: str) -> dict | None:
    """Return a job's public record (without its request body), or None when unknown."""
    raw = r.get(keys.sim_job(job_id))
    if raw is None:
        return None
    record = json.loads(raw)
    record.pop("body", None)
    return record


def queued(r) -> int:
    """Return how many jobs wait."""
    return r.llen(keys.SIM_JOBS)


def run_next(r, settings, timeout: float = 1.0) -> str | None:
    """Wait up to `timeout` for a job, run it and store its outcome; return its id."""
    got = r.brpop([keys.SIM_JOBS], timeout=max(timeout, 0.01))
    if not got:
        return None
    job_id = got[1].decode() if isinstance(got[1], bytes) else got[1]
    raw = r.get(keys.sim_job(job_id))
    if raw is None:
        return None  # expired while queued
    job = json.loads(raw)
    _save(r, job, status="running", started_at=time.time())
    try:
        result = execute(r, settings, job["kind"], job["game"], job["body"])
    except SimInputError as exc:
        _save(r, job, status="failed", error={"error": "bad_request", "message": str(exc)})
    except redis.RedisError:
        raise
    except Exception:  # a job must never take the worker down
        log.exception("job %s (%s) failed", job_id, job.get("kind"))
        _save(r, job, status="failed",
              error={"error": "internal_error", "message": "the job failed unexpectedly"})
    else:
        _save(r, job, status="done", result=result)
    return job_id


def execute(r, settings, kind: str, game_code: str, body: dict) -> dict:
    """Run one job's work and return its result (SimInputError for input it cannot use)."""
    from lottery.games import get_game
    from lottery.sim import backtest, montecarlo

    game = get_game(game_code)
    own = family_jobs(game)
    if kind in own:
        return own[kind][1](r, settings, game, body)
    if kind == "montecarlo":
        return montecarlo.run(montecarlo.parse_study(game, body, settings.simulator_mc_max_bets))
    if kind == "backtest":
        return backtest.backtest_stored(r, backtest.parse_backtest(game, body))
    raise SimInputError(f"unknown job kind {kind!r}")


def family_jobs(game) -> dict:
    """Return a game family's own job kinds (its session rules' `jobs`), or {}."""
    rules = game.sim_sessions()
    return dict(rules.jobs) if rules is not None else {}


def _save(r, job: dict, **changes) -> None:
    job.update(changes)
    if job["status"] in ("done", "failed"):
        job["finished_at"] = time.time()
    r.set(keys.sim_job(job["job_id"]), json.dumps(job, separators=(",", ":")), ex=JOB_TTL)


def _lower_priority() -> None:
    """Give this thread a lower CPU priority than the web and the draw worker.

    On Linux a thread id is a valid target for setpriority: only this thread is
    niced, so a long study yields the CPU to request handling on a small machine.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: the jobs still run


class JobRunner:
    """A thread of the simulator worker that runs queued jobs one at a time."""

    def __init__(self, settings, connection, stop_event: threading.Event):
        self.settings = settings
        self.r = connection
        self.stop_event = stop_event
        self.thread = threading.Thread(target=self.run, name="sim-jobs", daemon=True)
        self.done = 0

    def start(self) -> "JobRunner":
        self.thread.start()
        return self

    def run(self) -> None:
        """Run jobs until the stop event is set; wait out Redis outages."""
        _lower_priority()
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                if run_next(self.r, self.settings, timeout=0.5) is not None:
                    self.done += 1
                backoff = 1.0
            except redis.RedisError as exc:
                log.warning("redis unavailable for jobs (%s); retrying in %.1fs",
                            type(exc).__name__, backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)
