"""GET /metrics (Prometheus text format) and the figures behind /api/status's `monitoring`.

Sources, merged at each scrape:
- this machine's web workers: HTTP requests by endpoint, method and status, and each
  worker's CPU seconds, CPU % and resident memory. Under gunicorn they live in
  prometheus_client's multiprocess directory (PROMETHEUS_MULTIPROC_DIR, prepared by
  gunicorn.conf.py), so whichever worker answers reports all of them; a sampler thread
  (a greenlet under gevent) refreshes each worker's figures every SAMPLE_EVERY seconds.
- the other processes' CPU and memory, from their Redis heartbeats, and predictions
  published per game, from Redis counters (`lottery.metrics`).

/metrics is public like /api/status, which shows the same figures: it carries no
secret (labels are route patterns, game codes, process names and pids; never a URL,
a query string or a token). Restrict it at the proxy if the request counts matter.
"""
from __future__ import annotations

import os
import threading

from flask import Blueprint, Response, current_app, request

from lottery import keys
from lottery.metrics import MULTIPROC_ENV, predictions_published, process_figures
from lottery.store import heartbeat
from lottery.web.context import get_fast_redis, get_settings

bp = Blueprint("monitoring", __name__)

SAMPLE_EVERY = 5.0  # seconds between a web worker's CPU/memory samples
_LOCK = threading.Lock()
_INSTRUMENTS: dict = {}


def _multiprocess() -> bool:
    # prometheus_client decided this when it was imported (after gunicorn set the variable).
    return bool(os.environ.get(MULTIPROC_ENV))


def _instruments() -> dict:
    """Create this process's metric objects once (after the fork: they bind to the pid)."""
    if _INSTRUMENTS:
        return _INSTRUMENTS
    with _LOCK:
        if not _INSTRUMENTS:
            from prometheus_client import CollectorRegistry, Counter, Gauge

            local = CollectorRegistry(auto_describe=True)
            # In multiprocess mode prometheus_client adds the pid label to "liveall" gauges
            # itself (and drops them when gunicorn reports the worker dead).
            pid_label = () if _multiprocess() else ("pid",)
            gauge = {"registry": local, "labelnames": pid_label, "multiprocess_mode": "liveall"}
            _INSTRUMENTS.update(
                registry=local, pid_label=bool(pid_label),
                requests=Counter("lottery_http_requests", "HTTP requests answered",
                                 ("endpoint", "method", "status"), registry=local),
                cpu_s=Gauge("lottery_web_cpu_seconds", "CPU seconds used by a web worker",
                            **gauge),
                cpu_percent=Gauge("lottery_web_cpu_percent",
                                  f"CPU % (of one core) of a web worker over ~{SAMPLE_EVERY:.0f} s",
                                  **gauge),
                rss=Gauge("lottery_web_resident_memory_bytes",
                          "resident memory of a web worker", **gauge),
            )
    return _INSTRUMENTS


def sample_web_process() -> None:
    """Record this web process's CPU and memory in its gauges."""
    inst = _instruments()
    figures = process_figures()
    pid = str(figures["pid"])

    def gauge(name):
        return inst[name].labels(pid) if inst["pid_label"] else inst[name]

    gauge("cpu_s").set(figures["cpu_s"])
    if figures["cpu_percent"] is not None:
        gauge("cpu_percent").set(figures["cpu_percent"])
    if figures["rss_mb"] is not None:
        gauge("rss").set(figures["rss_mb"] * 2**20)


class WebSampler:
    """A daemon thread that samples this process every SAMPLE_EVERY seconds until stopped."""

    def __init__(self, every: float = SAMPLE_EVERY):
        self.every = every
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lottery.web.monitoring",
                                       daemon=True)

    def start(self) -> "WebSampler":
        self.thread.start()
        return self

    def _run(self) -> None:
        while True:
            sample_web_process()
            if self.stop_event.wait(self.every):
                return

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the thread; True once it has ended."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        return not self.thread.is_alive()


def stop_sampler(app) -> bool:
    """Stop the app's sampler if it was started (close_app); True once it has ended."""
    sampler = app.extensions.pop("lottery_web_sampler", None)
    return sampler.stop() if sampler is not None else True


def start_sampler(app) -> None:
    """Start the app's sampler once (gunicorn's post_worker_init; else the first request)."""
    if "lottery_web_sampler" not in app.extensions:
        with _LOCK:
            if "lottery_web_sampler" not in app.extensions:
                app.extensions["lottery_web_sampler"] = WebSampler().start()


@bp.before_app_request
def _start_sampler() -> None:
    start_sampler(current_app._get_current_object())


@bp.after_app_request
def _count_request(response):
    rule = request.url_rule
    # The route pattern, never the raw path: a scanner cannot grow the label set.
    endpoint = rule.rule if rule is not None else "unmatched"
    _instruments()["requests"].labels(endpoint, request.method, str(response.status_code)).inc()
    return response


# -- collection ----------------------------------------------------------------------
class _RedisCollector:
    """The figures kept in Redis: other processes' heartbeats and predictions published."""

    def __init__(self, r, games):
        self.r = r
        self.games = games

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        procs = heartbeat.figures(self.r)
        up = GaugeMetricFamily("lottery_process_up", "1 while the process's heartbeat is fresh",
                               labels=["process"])
        cpu_s = GaugeMetricFamily("lottery_process_cpu_seconds",
                                  "CPU seconds used (as of its last heartbeat)", labels=["process"])
        cpu_pct = GaugeMetricFamily("lottery_process_cpu_percent",
                                    "CPU % of one core between its last two heartbeats",
                                    labels=["process"])
        rss = GaugeMetricFamily("lottery_process_resident_memory_bytes",
                                "resident memory (as of its last heartbeat)", labels=["process"])
        for name in keys.PROCESSES:
            figures = procs.get(name)
            up.add_metric([name], 1.0 if figures else 0.0)
            if not figures:
                continue
            cpu_s.add_metric([name], figures["cpu_s"])
            if figures.get("cpu_percent") is not None:
                cpu_pct.add_metric([name], figures["cpu_percent"])
            if figures.get("rss_mb") is not None:
                rss.add_metric([name], figures["rss_mb"] * 2**20)
        published = predictions_published(self.r, self.games)
        total = CounterMetricFamily("lottery_predictions_published",
                                    "predictions published by the worker", labels=["game"])
        rate = GaugeMetricFamily("lottery_predictions_per_second",
                                 "predictions published per second over the last 1-2 minutes",
                                 labels=["game"])
        for game, figures in published.items():
            total.add_metric([game], figures["total"])
            rate.add_metric([game], figures["per_s"])
        yield from (up, cpu_s, cpu_pct, rss, total, rate)


class _LocalCollector:
    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def _registry(r, games):
    """Return a registry with every source, for one scrape."""
    from prometheus_client import CollectorRegistry

    inst = _instruments()
    registry = CollectorRegistry(auto_describe=False)
    if _multiprocess():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_LocalCollector(inst["registry"]))
    if r is not None:
        registry.register(_RedisCollector(r, games))
    return registry


def web_workers() -> list[dict]:
    """Return [{pid, cpu_s, cpu_percent, rss_mb}] of this machine's live web workers."""
    sample_web_process()  # the answering worker's own figures are fresh
    by_pid: dict[str, dict] = {}
    names = {"lottery_web_cpu_seconds": "cpu_s", "lottery_web_cpu_percent": "cpu_percent",
             "lottery_web_resident_memory_bytes": "rss_mb"}
    for family in _registry(None, ()).collect():
        field = names.get(family.name)
        if field is None:
            continue
        for sample in family.samples:
            pid = sample.labels.get("pid")
            if pid is None:
                continue
            value = sample.value / 2**20 if field == "rss_mb" else sample.value
            by_pid.setdefault(pid, {"pid": int(pid)})[field] = round(value, 1)
    return [by_pid[pid] for pid in sorted(by_pid, key=int)]


def summary(r) -> dict:
    """Return /api/status's `monitoring` block: CPU %, RSS MB and predictions/s per process."""
    settings = get_settings()
    workers = web_workers()
    published = predictions_published(r, settings.games)
    return {
        "web": {"workers": workers,
                "cpu_percent": round(sum(w.get("cpu_percent", 0) for w in workers), 1),
                "rss_mb": round(sum(w.get("rss_mb", 0) for w in workers), 1)},
        "processes": heartbeat.figures(r),
        "predictions_per_s": {game: f["per_s"] for game, f in published.items()},
        "predictions_total": {game: f["total"] for game, f in published.items()},
    }


@bp.get("/metrics")
def metrics():
    """Serve every process's figures in the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    sample_web_process()
    body = generate_latest(_registry(get_fast_redis(), get_settings().games))
    return Response(body, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


OPENAPI_PATHS: dict = {
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics: CPU and memory of every process, predictions "
                       "published per game, HTTP requests",
            "description": (
                "Text exposition format. `lottery_web_*{pid}`: each web worker of this "
                "machine; `lottery_process_*{process}`: worker, ai_worker, sim_worker and bot, "
                "from their heartbeats; `lottery_predictions_published_total{game}` and "
                "`lottery_predictions_per_second{game}`; "
                "`lottery_http_requests_total{endpoint,method,status}`. Public, like "
                "/api/status: no secrets."),
            "responses": {"200": {"description": "the metrics",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }
    }
}
