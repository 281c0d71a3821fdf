"""The web app for `gunicorn app:app` (settings from the environment)."""
from lottery.web.wsgi import app  # noqa: F401
