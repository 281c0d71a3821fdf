"""gunicorn settings for the web service (`gunicorn app:app` reads this file).

Worker class: gevent, chosen by measurement on this 2-core machine
(bench/sse_fanout.py and bench/prediction_api.py; figures in the README): with
500 idle SSE clients gevent needs about half the CPU and memory per delivery of
gthread (which ties up a thread per open stream), and serves the polled
/api/prediction path at the same ratio to its ceiling. Do not preload the app:
each worker starts its own Redis listener after the fork.
"""
from lottery.config import Settings

_settings = Settings.from_env()

bind = f"0.0.0.0:{_settings.port}"
worker_class = "gevent"
# WEB_CONCURRENCY (Railway/Heroku convention) overrides this through gunicorn itself.
workers = 2
worker_connections = 1000
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # request logs would repeat every poll; errors still go to stderr
errorlog = "-"
loglevel = _settings.log_level.lower()


def post_worker_init(worker):
    """End open event streams at once on shutdown instead of waiting graceful_timeout."""
    from lottery.web.stream import end_streams_on_shutdown

    end_streams_on_shutdown(worker)


def post_request(worker, req, environ, resp):
    """Under gevent, yield after each request so keep-alive connections share the worker.

    Without it a greenlet that finds its client's next request already buffered
    keeps the loop, and other connections wait: p99 was ~0.7 s at saturation.
    """
    if worker_class == "gevent":
        import gevent

        gevent.sleep(0)
