"""Shared bench helpers: a throwaway embedded Redis, percentiles, resident memory."""
from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def embedded_redis():
    """Yield the URL of a fresh embedded valkey-server (no persistence)."""
    from lottery.store.embedded import EmbeddedRedis

    with tempfile.TemporaryDirectory(prefix="lottery-bench-") as tmp:
        with EmbeddedRedis(Path(tmp), appendonly=False) as server:
            yield server.url


def percentile(values, q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_mb(pid: str | int = "self") -> float:
    """Return the resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def side_by_side(run, ceiling, repeat: int) -> tuple[float, float, float]:
    """Time `run()` and `ceiling()` in turn `repeat` times; return (best run s, best ceiling s,
    median of ceiling / run over the pairs).

    Interleaved, so machine load hits both sides; the paired median is steadier than best
    against best when the machine's speed drifts.
    """
    run()  # untimed: a first run builds what later runs reuse (word tables, buffers)
    pairs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        t1 = time.perf_counter()
        ceiling()
        pairs.append((t1 - t0, time.perf_counter() - t1))
    return (min(r for r, _ in pairs), min(c for _, c in pairs),
            statistics.median(c / r for r, c in pairs))
