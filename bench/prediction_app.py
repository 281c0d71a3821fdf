"""The production app plus one constant-body endpoint: the ceiling for /api/prediction.

Served by bench/prediction_api.py under the real gunicorn config.
"""
import hashlib
import os

from flask import Response

from lottery.web.wsgi import app

_BODY = os.urandom(int(os.environ.get("BENCH_BODY_SIZE", "4000")))
_ETAG = hashlib.blake2b(_BODY, digest_size=12).hexdigest()


_HEADERS = {"Content-Type": "application/json", "ETag": f'"{_ETAG}"', "Cache-Control": "no-cache"}


@app.get("/bench/constant")
def constant():
    # The least a Flask view can do to send these bytes: the ceiling.
    return Response(_BODY, headers=_HEADERS)
