"""gunicorn settings for the web service (`gunicorn app:app` reads this file).

Worker class: gevent, chosen by measurement on this 2-core machine
(bench/sse_fanout.py and bench/prediction_api.py; figures in the README): with
500 idle SSE clients gevent needs about half the CPU and memory per delivery of
gthread (which ties up a thread per open stream), and serves the polled
/api/prediction path at the same ratio to its ceiling. Do not preload the app:
each worker starts its own Redis listener after the fork.
"""
from lottery.config import WORKER_CONNECTIONS, Settings
from lottery.metrics import mark_worker_dead, prepare_multiproc_dir, remove_multiproc_dir

_settings = Settings.from_env()

# WEB_HOST: 0.0.0.0 on a platform; `python -m lottery up` passes 127.0.0.1 unless asked.
bind = f"{_settings.web_host}:{_settings.port}"
worker_class = "gevent"
# WEB_CONCURRENCY (Railway/Heroku convention) overrides this through gunicorn itself.
workers = 2
# SSE_MAX_CLIENTS is checked against this (lottery.config): streams never take them all.
worker_connections = WORKER_CONNECTIONS
# SO_REUSEPORT: each worker gets its own accept queue from the kernel, which spreads
# connections across workers (bench/prediction_api.py), and a master restarted by
# `up` binds at once even while the old one's workers are still finishing.
reuse_port = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request lines up to gunicorn's maximum reach the app, which answers 414 JSON beyond
# 4 KiB (lottery.web.errors); longer ones get gunicorn's own 414, as JSON (below).
limit_request_line = 8190
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl):
# two instances on a host would share it, and stopping one removed the other's.
# Nothing here uses it.
control_socket_disable = True
accesslog = None  # request logs would repeat every poll; errors still go to stderr
errorlog = "-"
loglevel = _settings.log_level.lower()


_metrics_dir = None  # a directory on_starting made (removed on exit), if any


def on_starting(server):
    """Prepare prometheus_client's multiprocess directory before any worker forks.

    PROMETHEUS_MULTIPROC_DIR set: created owner-only if missing, last run's files
    removed. Unset: a private temporary directory (0700), removed on exit. Workers
    inherit the variable and share the directory, so /metrics reports all of them.
    """
    global _metrics_dir
    path, created = prepare_multiproc_dir(_settings.metrics_dir)
    _metrics_dir = path if created else None


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the metrics directory (its counters stay)."""
    mark_worker_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this master made."""
    if _metrics_dir is not None:
        remove_multiproc_dir(_metrics_dir)


def post_worker_init(worker):
    """End open event streams at once on shutdown; answer gunicorn's own errors as JSON;
    sample this worker's CPU and memory for /metrics from the start.

    Last, freeze what booting allocated: every full collection walked it, and
    under gevent that pause holds all of the process's connections at once
    (lottery.web.serve.freeze_boot_objects; figures in the README).
    """
    from lottery.web.errors import install_gunicorn_json_errors
    from lottery.web.monitoring import start_sampler
    from lottery.web.serve import freeze_boot_objects
    from lottery.web.stream import end_streams_on_shutdown

    end_streams_on_shutdown(worker)
    install_gunicorn_json_errors()
    start_sampler(worker.wsgi)
    freeze_boot_objects()


def post_request(worker, req, environ, resp):
    """Under gevent, serve each keep-alive connection's next request in turn with the others.

    Without a turn a greenlet that finds its client's next request already
    buffered keeps the loop (p99 ~0.7 s at saturation); with gevent.sleep(0) as
    the turn, quick clients still went round again before ready ones (p99 4-7x
    gthread's): lottery.web.serve.await_next_request waits through the event loop.
    """
    if worker.cfg.worker_class_str == "gevent":  # the class actually running (-k overrides)
        from lottery.web.serve import await_next_request

        await_next_request(worker, req, environ, resp)
