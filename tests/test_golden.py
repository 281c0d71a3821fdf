"""Golden responses: every read endpoint returns the same JSON for the same stored data.

Recorded before the game-family refactor; volatile fields (clocks, latencies,
process heartbeats) are masked. Regenerate deliberately with
`GOLDEN_UPDATE=1 pytest tests/test_golden.py` when a response is meant to change.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clock import FakeClock
from lottery.worker import Worker, build_source

GOLDEN = Path(__file__).parent / "golden" / "responses.json"
VOLATILE = {"timestamp", "generated_at", "server_time", "latency_ms", "last_seen", "uptime",
            "used_memory", "used_memory_human", "seconds_to_next_draw", "heartbeats",
            "processes", "redis_version", "memory", "checked_at", "now", "ts", "time",
            "generation_time_seconds", "cached_at", "version", "last_updated"}
ENDPOINTS = [
    "/health", "/api/prediction", "/api/v2/report", "/api/history?per_page=5", "/api/history?page=2&per_page=3",
    "/api/accuracy", "/api/accuracy?window=20", "/api/audit", "/api/color_insights",
    "/api/size_insights", "/api/v2/insights", "/api/ai_prediction", "/api/ai_big_small_accuracy",
    "/api/ai/status", "/api/simulator/status", "/api/simulator/history",
    "/api/fairness/{settled}", "/api/fairness/{open}", "/api/history?game=Nope",
    "/api/accuracy?window=-1", "/api/nothing-here",
]


def _mask(value):
    if isinstance(value, dict):
        return {k: ("<volatile>" if k in VOLATILE or k.endswith("_ms") else _mask(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


@pytest.fixture
def worked(settings, r):
    Worker(settings, r, build_source(settings, r), clock=FakeClock()).run(max_iterations=40)


def test_every_read_endpoint_matches_the_recording(worked, client):
    history = client.get("/api/history?per_page=1").json
    settled = history["draws"][0]["issue"] if "draws" in history else history["items"][0]["issue"]
    open_issue = client.get("/api/prediction").json["next_issue"]
    got = {}
    for path in ENDPOINTS:
        url = path.format(settled=settled, open=open_issue)
        resp = client.get(url)
        body = resp.get_json(silent=True)
        got[path] = {"status": resp.status_code, "body": _mask(body)}
    if os.environ.get("GOLDEN_UPDATE"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    for path in ENDPOINTS:
        assert got[path] == want[path], path
