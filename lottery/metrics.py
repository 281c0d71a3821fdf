"""Monitoring figures shared by every process: its own CPU and memory, and predictions published.

Where each figure lives, and why:
- CPU seconds, CPU % and resident memory of a worker, AI worker, simulator worker or
  bot go into its Redis heartbeat (`lottery.store.heartbeat.beat` adds them): on a
  platform each of them is a separate service on another machine, so a shared
  directory would not reach the web, and the heartbeat is already written every few
  seconds. The figures are as fresh as the last beat, and vanish with it.
- Web workers (forked by gunicorn on one machine) keep theirs in prometheus_client's
  multiprocess directory (`lottery.web.monitoring`).
- Predictions published: a counter per game in Redis, incremented where the worker
  publishes a prediction, plus per-minute buckets for a rate; it survives restarts and
  counts every replica.

Nothing here imports prometheus_client: in gunicorn's master, importing it before
PROMETHEUS_MULTIPROC_DIR is set would fix every forked worker to single-process mode.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from lottery import keys

MINUTE_BUCKET_TTL = 180  # seconds a per-minute prediction count is kept (two minutes are read)
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# -- this process's CPU and memory ---------------------------------------------------
def cpu_seconds() -> float:
    """Return the CPU time (user + system) this process has used."""
    t = os.times()
    return t.user + t.system


def rss_bytes() -> int | None:
    """Return this process's resident memory in bytes (None where /proc is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def _age_seconds() -> float | None:
    """Return how long this process has run (Linux /proc), None if unknown."""
    try:
        started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return max(uptime - started / _CLK_TCK, 1e-3)


class ProcessSampler:
    """CPU % of one core over the interval since the previous sample (since start at first).

    Samples closer together than `min_interval` repeat the last percentage: over a few
    milliseconds the figure would be noise.
    """

    def __init__(self, min_interval: float = 1.0):
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._last: tuple[float, float] | None = None  # (monotonic time, cpu seconds)
        self._percent: float | None = None

    def sample(self) -> dict:
        """Return {pid, cpu_s, cpu_percent, rss_mb} for this process now."""
        now, cpu = time.monotonic(), cpu_seconds()
        with self._lock:
            last = self._last
            if last is None:
                age = _age_seconds()
                self._percent = 100 * cpu / age if age else None
                self._last = (now, cpu)
            elif now - last[0] >= self.min_interval:
                self._percent = 100 * (cpu - last[1]) / (now - last[0])
                self._last = (now, cpu)
            percent = self._percent
        rss = rss_bytes()
        return {"pid": os.getpid(), "cpu_s": round(cpu, 3),
                "cpu_percent": None if percent is None else round(max(percent, 0.0), 1),
                "rss_mb": None if rss is None else round(rss / 2**20, 1)}


_SAMPLER = ProcessSampler()


def process_figures() -> dict:
    """Return this process's {pid, cpu_s, cpu_percent, rss_mb} (one sampler per process)."""
    return _SAMPLER.sample()


# -- predictions published ----------------------------------------------------------
def count_prediction(r, game: str, now: float | None = None) -> None:
    """Count one published prediction of `game` (total and this minute's bucket)."""
    minute = int((time.time() if now is None else now) // 60)
    bucket = keys.metrics_predictions_minute(game, minute)
    pipe = r.pipeline(transaction=False)
    pipe.hincrby(keys.METRICS_PREDICTIONS, game, 1)
    pipe.incr(bucket)
    pipe.expire(bucket, MINUTE_BUCKET_TTL)
    pipe.execute()


def predictions_published(r, games, now: float | None = None) -> dict:
    """Return {game: {"total", "per_s"}}: the count ever, and the rate over the last 1-2 minutes.

    The rate is the count of the current and the previous minute over the time they
    span (60 s plus the seconds into this minute), so it is never a lone spike.
    """
    now = time.time() if now is None else now
    minute = int(now // 60)
    games = list(games)
    pipe = r.pipeline(transaction=False)
    pipe.hmget(keys.METRICS_PREDICTIONS, games) if games else None
    for game in games:
        pipe.mget(keys.metrics_predictions_minute(game, minute - 1),
                  keys.metrics_predictions_minute(game, minute))
    results = pipe.execute() if games else [[]]
    totals, windows = results[0], results[1:]
    span = 60 + (now - minute * 60)
    out = {}
    for game, total, window in zip(games, totals, windows):
        recent = sum(int(v) for v in window if v is not None)
        out[game] = {"total": int(total or 0), "per_s": round(recent / span, 4)}
    return out


# -- prometheus_client's multiprocess directory (gunicorn) ---------------------------
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiproc_dir(configured: Path | None, environ=os.environ) -> tuple[Path, bool]:
    """Make the metrics directory ready before gunicorn forks; return (path, created here).

    Unset: a private temporary directory (mode 0700) is made and exported to the
    workers. Set: it is created owner-only if missing, and the files of a previous run
    are removed, as prometheus_client asks (they would add old counts to new ones).
    """
    if configured is None:
        path = Path(tempfile.mkdtemp(prefix="lottery-metrics-"))  # mkdtemp: mode 0700
        created = True
    else:
        path = Path(configured)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        created = False
    environ[MULTIPROC_ENV] = str(path)
    return path, created


def remove_multiproc_dir(path: Path) -> None:
    """Remove a metrics directory made by `prepare_multiproc_dir` (gunicorn's on_exit)."""
    shutil.rmtree(path, ignore_errors=True)


def mark_worker_dead(pid: int) -> None:
    """Drop a dead web worker's live gauges from the directory (gunicorn's child_exit)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
