"""Redis clients: one pooled client per process, with timeouts and retries."""
from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


def connect(url: str, *, socket_timeout: float = 5.0, decode_responses: bool = False,
            max_connections: int = 50, pool_timeout: float = 5.0, retries: int = 3) -> redis.Redis:
    """Return a pooled Redis client for `url` that retries briefly on connection errors.

    The pool blocks (up to `pool_timeout`) when all connections are busy, so a
    burst of requests waits for a connection instead of failing.
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout, 3.0),
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        decode_responses=decode_responses,
    )
    return redis.Redis(connection_pool=pool)


def connect_fast(url: str) -> redis.Redis:
    """Return a client that fails within about a second (health and status endpoints).

    A paused or overloaded Redis must turn into a quick 503 that a platform's
    health check can read, not a hang of socket timeout x retries.
    """
    return connect(url, socket_timeout=0.8, max_connections=20, pool_timeout=0.5, retries=0)


def pubsub_client(url: str) -> redis.Redis:
    """Return a client for blocking pub/sub reads (no socket timeout on reads)."""
    return redis.Redis.from_url(url, socket_timeout=None, socket_connect_timeout=3.0,
                                health_check_interval=30)


NO_REDIS = ("REDIS_URL is not set and no local server runs "
            "(start everything with: python -m lottery up)")


def redis_url_or_explain(settings, log) -> str | None:
    """Return REDIS_URL or the local server's URL; else log how to get one and return None."""
    from lottery.store.embedded import resolve_redis_url

    url = resolve_redis_url(settings)
    if not url:
        log.error(NO_REDIS)
    return url
