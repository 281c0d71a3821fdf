"""The WSGI app for gunicorn: settings and Redis from the environment, built once per process."""
from lottery.config import Settings
from lottery.logs import configure_logging
from lottery.store.embedded import resolve_redis_url
from lottery.web import create_app

_settings = Settings.from_env()
configure_logging(_settings, "web")
app = create_app(_settings.with_(redis_url=resolve_redis_url(_settings)))
