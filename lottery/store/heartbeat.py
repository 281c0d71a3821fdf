"""Process heartbeats: an expiring key per process, written by its loop, read by /api/status."""
from __future__ import annotations

import json
import time

import redis

from lottery import keys
from lottery.metrics import process_figures

DEFAULT_TTL = 90


def beat(r, process: str, process_id: str, ttl: int = DEFAULT_TTL, **extra) -> None:
    """Mark `process` alive for `ttl` seconds (`process_id` tells replicas apart).

    The beat carries the process's CPU and memory figures (`proc`) for /metrics and
    /api/status: the web cannot read them from another machine.
    """
    pipe = r.pipeline(transaction=False)
    pipe.set(keys.heartbeat(process),
             json.dumps({"at": time.time(), "id": process_id, "proc": process_figures(),
                         **extra}), ex=ttl)
    pipe.sadd(keys.HEARTBEAT_PROCESSES, process)
    pipe.execute()


def clear(r, process: str, process_id: str) -> None:
    """Remove the heartbeat on a clean stop, if it is still this replica's."""
    try:
        raw = r.get(keys.heartbeat(process))
        if raw and json.loads(raw).get("id") == process_id:
            r.delete(keys.heartbeat(process))
    except redis.RedisError:
        pass  # stopping anyway; the key expires on its own


def _beats(r, processes) -> tuple[float, list]:
    """Return the time now and (process, its last beat or None) for each process."""
    pipe = r.pipeline(transaction=False)
    for name in processes:
        pipe.get(keys.heartbeat(name))
    now = time.time()
    return now, [(name, None if raw is None else json.loads(raw))
                 for name, raw in zip(processes, pipe.execute())]


def read(r, processes=keys.PROCESSES) -> dict:
    """Return {process: {"alive", "last_beat_age_s"?}} for the known processes."""
    now, beats = _beats(r, processes)
    out = {}
    for name, beat_ in beats:
        if beat_ is None:
            out[name] = {"alive": False}
        else:
            out[name] = {"alive": True, "last_beat_age_s": round(now - beat_.get("at", now), 1)}
    return out


def figures(r, processes=keys.PROCESSES) -> dict:
    """Return {process: {pid, cpu_s, cpu_percent, rss_mb, beat_age_s}} for each live process."""
    now, beats = _beats(r, processes)
    out = {}
    for name, beat_ in beats:
        if beat_ is None:
            continue
        proc = beat_.get("proc")
        if isinstance(proc, dict):
            out[name] = {**proc, "beat_age_s": round(now - beat_.get("at", now), 1)}
    return out
