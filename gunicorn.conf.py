"""gunicorn settings for the web service (`gunicorn app:app` reads this file).

Worker class: gevent. Measured with bench/prediction_api.py and
bench/sse_fanout.py on this 2-core machine (figures in docs/benchmarks.md):
gevent serves the polled /api/prediction path as fast as gthread and holds
hundreds of idle server-sent-event clients per process without a thread each.
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
