"""Shared fixtures: a real Redis server for the whole session (embedded valkey-server,
or REDIS_URL when given), flushed before each test that uses it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import redis

from lottery.config import Settings
from lottery.store.embedded import EmbeddedRedis


@pytest.fixture(scope="session")
def redis_url():
    """URL of a real Redis server for the test session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="lottery-test-redis-") as tmp:
        server = EmbeddedRedis(Path(tmp), appendonly=False).start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def r(redis_url):
    """A client of the real server, on an empty database."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def settings(redis_url, tmp_path):
    """Settings for tests: real Redis, a temp data folder, a fixed simulator secret."""
    return Settings.from_env({}, dotenv=False).with_(
        redis_url=redis_url, data_dir=tmp_path / "data", admin_token="test-admin-token",
        sim_secret="test-secret", sim_backfill=50)
