"""Monitoring: process figures, predictions published, /metrics and /api/status's block.

Against a real Redis; the last test runs the project's gunicorn.conf.py with two
gevent workers to check the multiprocess directory (creation, sharing, dead workers,
removal on exit).
"""
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clock import FakeClock
from lottery import keys, metrics
from lottery.events import read_events_after
from lottery.store import heartbeat
from lottery.store.embedded import free_port
from lottery.worker import Worker, build_source

ROOT = Path(__file__).resolve().parents[1]


def families(text: str) -> dict:
    """Return {family name: [(labels, value)]} of a Prometheus exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def vm_rss_mb() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines()
                if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


# -- process figures ----------------------------------------------------------------
def test_cpu_percent_is_cpu_time_over_wall_time_since_the_last_sample(monkeypatch):
    clock = {"t": 100.0, "cpu": 2.0}
    monkeypatch.setattr(metrics.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(metrics, "cpu_seconds", lambda: clock["cpu"])
    sampler = metrics.ProcessSampler(min_interval=1.0)
    first = sampler.sample()
    assert first["pid"] == os.getpid() and first["cpu_s"] == 2.0
    assert first["cpu_percent"] is not None  # since the process started
    clock.update(t=102.0, cpu=3.0)  # one CPU second in two wall seconds
    assert sampler.sample()["cpu_percent"] == 50.0
    clock.update(t=102.1, cpu=3.1)  # too soon to measure: the last figure stands
    assert sampler.sample()["cpu_percent"] == 50.0
    clock.update(t=104.0, cpu=4.9)  # 1.9 s of CPU over 2 s (from the last measured point)
    assert sampler.sample()["cpu_percent"] == 95.0


def test_resident_memory_is_this_processs():
    figures = metrics.ProcessSampler().sample()
    assert figures["rss_mb"] == pytest.approx(vm_rss_mb(), rel=0.2)
    assert figures["cpu_s"] == pytest.approx(sum(os.times()[:2]), abs=0.5)


def test_heartbeats_carry_the_process_figures(r):
    heartbeat.beat(r, "ai_worker", "replica-1", 90)
    got = heartbeat.figures(r)
    assert set(got) == {"ai_worker"}  # processes that never beat are absent
    assert got["ai_worker"]["pid"] == os.getpid() and got["ai_worker"]["rss_mb"] > 0
    assert got["ai_worker"]["beat_age_s"] < 5
    # What /api/status already showed is unchanged.
    assert heartbeat.read(r)["ai_worker"]["alive"] is True


# -- predictions published --------------------------------------------------------
def test_prediction_rate_spans_this_minute_and_the_last(r):
    minute = 29_000_000
    for _ in range(3):
        metrics.count_prediction(r, "WinGo_1M", now=(minute - 1) * 60 + 10)
    for _ in range(2):
        metrics.count_prediction(r, "WinGo_1M", now=minute * 60 + 5)
    metrics.count_prediction(r, "Crash", now=(minute - 3) * 60)  # too old for the rate
    got = metrics.predictions_published(r, ["WinGo_1M", "Crash", "WinGo_30S"], now=minute * 60 + 30)
    assert got["WinGo_1M"] == {"total": 5, "per_s": round(5 / 90, 4)}
    assert got["Crash"] == {"total": 1, "per_s": 0.0}
    assert got["WinGo_30S"] == {"total": 0, "per_s": 0.0}
    # Minute buckets expire; the total does not.
    bucket = keys.metrics_predictions_minute("WinGo_1M", minute)
    assert 0 < r.ttl(bucket) <= metrics.MINUTE_BUCKET_TTL and r.ttl(keys.METRICS_PREDICTIONS) == -1


def test_the_worker_counts_each_prediction_it_publishes(settings, r):
    Worker(settings, r, build_source(settings, r), clock=FakeClock()).run(max_iterations=20)
    published = [e for e in read_events_after(r, "0", count=10_000) if e["type"] == "prediction"]
    assert published
    got = metrics.predictions_published(r, settings.games)
    assert got["WinGo_1M"]["total"] == len(published)
    assert got["WinGo_1M"]["per_s"] > 0  # published just now (wall clock)


# -- /metrics and /api/status -------------------------------------------------------
def test_metrics_exposes_every_source(client, r):
    heartbeat.beat(r, "worker", "w1", 90)
    metrics.count_prediction(r, "WinGo_1M")
    client.get("/health")
    client.get("/api/fairness/20240101")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    got = families(resp.data.decode())
    web_pids = {labels["pid"] for labels, _ in got["lottery_web_resident_memory_bytes"]}
    assert web_pids == {str(os.getpid())}
    assert all(v > 0 for _, v in got["lottery_web_resident_memory_bytes"])
    assert ({"process": "worker"}, 1.0) in got["lottery_process_up"]
    assert ({"process": "bot"}, 0.0) in got["lottery_process_up"]
    assert [labels for labels, _ in got["lottery_process_resident_memory_bytes"]] == [
        {"process": "worker"}]
    assert ({"game": "WinGo_1M"}, 1.0) in got["lottery_predictions_published_total"]
    assert got["lottery_predictions_per_second"][0][1] > 0
    requests = {(l["endpoint"], l["status"]): v for l, v in got["lottery_http_requests_total"]}
    assert requests[("/health", "200")] >= 1
    # The route pattern, never the path someone typed.
    assert any(endpoint == "/api/fairness/<issue>" for endpoint, _ in requests)


def test_unmatched_paths_share_one_label(client):
    client.get("/wp-admin/secret-probe-123")
    text = client.get("/metrics").data.decode()
    assert "secret-probe-123" not in text
    assert 'endpoint="unmatched",method="GET",status="404"' in text


def test_metrics_leak_no_secret(settings, app_factory, r):
    secretive = settings.with_(admin_token="tok-abcdef-123456", sim_secret="sim-secret-987654",
                               telegram_bot_token="123:bot-secret", ai_api_keys=("sk-key-42",))
    client = app_factory(secretive).test_client()
    heartbeat.beat(r, "bot", "b", 90)
    client.get("/api/status", headers={"Authorization": "Bearer tok-abcdef-123456"})
    text = client.get("/metrics").data.decode()
    for secret in ("tok-abcdef-123456", "sim-secret-987654", "bot-secret", "sk-key-42",
                   secretive.redis_url):
        assert secret not in text


def test_status_summarises_monitoring_and_keeps_its_fields(client, r):
    heartbeat.beat(r, "worker", "w1", 90)
    heartbeat.beat(r, "sim_worker", "s1", 90)
    for _ in range(3):
        metrics.count_prediction(r, "WinGo_1M")
    body = client.get("/api/status").json
    assert body["service_status"] == "running" and body["redis_available"] is True
    assert set(body["processes"]) == set(keys.PROCESSES)
    mon = body["monitoring"]
    assert [w["pid"] for w in mon["web"]["workers"]] == [os.getpid()]
    assert mon["web"]["rss_mb"] == pytest.approx(vm_rss_mb(), rel=0.2)
    assert mon["web"]["cpu_percent"] >= 0
    assert set(mon["processes"]) == {"worker", "sim_worker"}
    assert all({"cpu_percent", "rss_mb", "cpu_s", "beat_age_s"} <= set(p)
               for p in mon["processes"].values())
    assert mon["predictions_total"] == {"WinGo_1M": 3}
    assert mon["predictions_per_s"]["WinGo_1M"] > 0


def test_openapi_documents_metrics(client):
    doc = client.get("/api/openapi.json").json
    assert "text/plain" in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert "monitoring" in doc["paths"]["/api/status"]["get"]["summary"]


# -- the multiprocess directory --------------------------------------------------------
def test_a_configured_directory_is_made_private_and_cleared_of_the_last_run(tmp_path):
    configured = tmp_path / "m"
    env = {}
    path, created = metrics.prepare_multiproc_dir(configured, env)
    assert path == configured and not created and env[metrics.MULTIPROC_ENV] == str(configured)
    assert stat.S_IMODE(configured.stat().st_mode) == 0o700
    (configured / "counter_12345.db").write_bytes(b"old")
    metrics.prepare_multiproc_dir(configured, env)
    assert list(configured.iterdir()) == []


def test_an_unset_directory_becomes_a_private_temporary_one(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    env = {}
    path, created = metrics.prepare_multiproc_dir(None, env)
    assert created and path.parent == tmp_path and env[metrics.MULTIPROC_ENV] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    metrics.remove_multiproc_dir(path)
    assert not path.exists()


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _web_pids(base: str) -> set[int]:
    try:
        got = families(httpx.get(base + "/metrics", timeout=10).text)
    except httpx.TransportError:
        # SO_REUSEPORT: a connection the kernel queued on a worker that was just killed is
        # reset; the next one goes to a live worker.
        return set()
    return {int(labels["pid"]) for labels, _ in got.get("lottery_web_resident_memory_bytes", [])}


def _until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # gunicorn forks and reaps workers in its own time: poll
    return value


def test_gunicorn_workers_share_metrics_and_the_directory_goes_with_the_master(
        redis_url, r, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROC_ENV}
    env.update(REDIS_URL=redis_url, LOTTERY_DATA_DIR=str(tmp_path / "data"), PORT=str(port),
               WEB_HOST="127.0.0.1", PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path), LOG_LEVEL="WARNING")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2",
         "lottery.web.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        made = _until(lambda: list(tmp_path.glob("lottery-metrics-*")), "the metrics directory")
        assert stat.S_IMODE(made[0].stat().st_mode) == 0o700
        workers = _until(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid),
                         "two workers")
        # Whichever worker answers, both workers' figures are there.
        _until(lambda: _web_pids(base) == workers, "both workers in /metrics")
        for _ in range(10):
            assert httpx.get(base + "/health", timeout=10).status_code == 200
        got = families(httpx.get(base + "/metrics", timeout=10).text)
        health = sum(v for labels, v in got["lottery_http_requests_total"]
                     if labels["endpoint"] == "/health")
        assert health == 10  # summed over both workers
        # A worker that dies leaves the live figures; gunicorn forks a new one.
        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        _until(lambda: dead not in _web_pids(base) and len(_web_pids(base)) == 2,
               "the dead worker dropped and its successor listed")
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        assert not made[0].exists()  # the master removed the directory it made
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
