"""Shared bench helpers: a throwaway embedded Redis, percentiles, resident memory."""
from __future__ import annotations

import contextlib
import sys
import tempfile
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
