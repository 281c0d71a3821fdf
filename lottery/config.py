"""Settings: the environment is read once, here, into one immutable object.

Every variable is documented in `.env.example` and the README's configuration
table. Nothing else in the package reads `os.environ`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping

DEFAULT_GAME = "WinGo_1M"
DEFAULT_GAMES = (DEFAULT_GAME, "Crash", "Powerball")  # what `up` follows when GAMES is unset
# gunicorn's worker_connections (gunicorn.conf.py reads it here): the real cap of open
# connections per web process. Event streams may hold all but SSE_RESERVE of them, so
# ordinary requests (health checks, /api/prediction) always find a free slot.
WORKER_CONNECTIONS = 1000
SSE_RESERVE = 200


class ConfigError(ValueError):
    """A setting has a value the service cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _list(env: Mapping[str, str], name: str, default: str = "") -> tuple[str, ...]:
    raw = env.get(name, default)
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    origins = _list(env, name)
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ConfigError(f"{name}: {origin!r} is not an origin like https://example.org "
                              "(scheme and host, no path)")
    return origins


SECRET_QUERY_PARAM = re.compile(r"([?&;](?:password|passwd|pass|pwd|secret|token|auth|"
                           r"access_token|api_key|apikey|key)=)[^&;#]*", re.IGNORECASE)


def _sse_cap(env: Mapping[str, str]) -> int:
    cap = _int(env, "SSE_MAX_CLIENTS", 600, 1)
    if cap > WORKER_CONNECTIONS - SSE_RESERVE:
        raise ConfigError(f"SSE_MAX_CLIENTS must be at most {WORKER_CONNECTIONS - SSE_RESERVE} "
                          f"(each web process holds {WORKER_CONNECTIONS} connections and keeps "
                          f"{SSE_RESERVE} for ordinary requests), got {cap}")
    return cap


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    from limits import parse_many  # the notation Flask-Limiter reads

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must look like '10 per minute' or '5/second', got {raw!r}") \
            from None
    return raw


def _webhooks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    urls = _list(env, name)
    for i, url in enumerate(urls, 1):
        # The URL itself is a secret (it carries the token): name its position, never its text.
        if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
            raise ConfigError(f"{name}: URL #{i} is not an http(s) URL")
    return urls


def _probability(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default, 0.0)
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{name} must be a probability above 0 and at most 1, got {value}")
    return value


def _milestones(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = _list(env, name)
    if not raw:
        return default
    try:
        values = sorted({int(x) for x in raw})
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated whole numbers of rounds") from None
    if values[0] < 1:
        raise ConfigError(f"{name}: a drought is at least 1 round, got {values[0]}")
    return tuple(values)


def _crash_profile(env: Mapping[str, str]) -> str | None:
    name = env.get("CRASH_SOURCE_PROFILE", "").strip()
    if not name:
        return None
    from lottery.games.crash import PROFILES  # local: games imports nothing from config

    if name not in PROFILES:
        raise ConfigError(f"CRASH_SOURCE_PROFILE: unknown profile {name!r}; "
                          f"known: {', '.join(PROFILES)}")
    if not PROFILES[name].salt:
        raise ConfigError(f"CRASH_SOURCE_PROFILE: {name} has no published salt to check "
                          f"hashes with; use one of "
                          f"{', '.join(n for n, p in PROFILES.items() if p.salt)}")
    return name


def redact_url(url: str | None) -> str | None:
    """Return the URL with its user info and any password-like query value replaced by '***'."""
    if not url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    head, hash_, fragment = rest.partition("#")
    head, q, query = head.partition("?")
    if "@" in head:
        # User info ends at the LAST '@': a password may itself hold '@' or '/'.
        head = "***@" + head.rpartition("@")[2]
    query = SECRET_QUERY_PARAM.sub(r"\1***", q + query)
    return f"{scheme}{sep}{head}{query}{hash_}{fragment}"


@dataclass(frozen=True)
class Settings:
    """All configuration of every process. Secrets are kept out of repr()."""

    # Redis and local data
    redis_url: str | None = field(default=None, repr=False)
    data_dir: Path = Path("data")
    # Web
    port: int = 5000
    web_host: str = "0.0.0.0"  # `up` passes 127.0.0.1 unless asked (--host)
    max_body_bytes: int = 65_536  # request bodies beyond this are a 413
    admin_token: str | None = field(default=None, repr=False)
    sse_heartbeat: float = 15.0  # seconds between keep-alive comments on /api/stream
    sse_max_clients: int = 600  # live /api/stream connections per web process
    # prometheus_client's multiprocess directory for the web workers (gunicorn.conf.py makes a
    # private temporary one when unset)
    metrics_dir: Path | None = None
    cors_origins: tuple[str, ...] = ()  # origins allowed to call /api/* and /health from a browser
    environment: str = "local"  # "railway" when Railway set RAILWAY_ENVIRONMENT (upstream field)
    # Games and draw source
    games: tuple[str, ...] = DEFAULT_GAMES
    source: str = "simulated"
    source_url: str | None = None
    source_list_path: str = "data.list"
    source_issue_field: str = "issueNumber"
    source_number_field: str = "number"
    source_token: str | None = field(default=None, repr=False)
    source_timeout: float = 5.0
    source_retries: int = 3
    # Crash round history over http (the streak API's GET /games/ by default)
    crash_source_url: str | None = None  # unset: SOURCE_URL
    crash_source_list_path: str = ""  # "": the body is the list
    crash_source_id_field: str = "game_id"
    crash_source_multiplier_field: str = "crash_point"
    crash_source_hash_field: str = "hash_value"
    crash_source_profile: str | None = None  # a formula profile: each round's hash is checked
    crash_source_page_size: int = 100
    crash_source_max_pages: int = 10
    poll_delay: float = 1.0
    sim_secret: str | None = field(default=None, repr=False)
    sim_backfill: int = 500
    max_draws: int = 100_000
    max_predictions: int = 10_000
    # AI worker
    ai_base_url: str = "https://api.perplexity.ai"
    ai_model: str = "sonar"
    ai_api_keys: tuple[str, ...] = field(default=(), repr=False)
    ai_timeout: float = 10.0
    # Telegram bot
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_admin_ids: tuple[int, ...] = ()
    # Simulator (paper money)
    simulator_ack_timeout: float = 3.0  # seconds the API waits for the worker to apply a command
    simulator_max_sessions: int = 20  # live sessions running at once
    simulator_history_limit: int = 1000  # rounds kept per session
    simulator_mc_max_bets: int = 20_000_000  # sessions x rounds per Monte Carlo request
    simulator_job_queue: int = 4  # Monte Carlo/backtest jobs waiting at once (429 beyond)
    heavy_rate_limit: str = "30 per minute"  # per anonymous caller on heavy endpoints
    # Alerts (crash droughts and edge-backed signals; webhooks and the bot deliver them)
    alert_webhook_urls: tuple[str, ...] = field(default=(), repr=False)  # secrets: never shown
    alert_multiplier_threshold: float = 10.0  # the streak API's MULTIPLIER_THRESHOLD
    alert_confidence_threshold: float = 0.75  # the streak API's PREDICTION_CONFIDENCE_THRESHOLD
    alert_drought_rounds: tuple[int, ...] = (40, 60, 80, 100)  # one alert per milestone
    # Logging
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: bool = True) -> "Settings":
        """Build settings from the environment (and `.env`, loaded once, when dotenv is true)."""
        if env is None:
            if dotenv:
                from dotenv import load_dotenv

                load_dotenv(override=False)
            env = os.environ
        games = _list(env, "GAMES", ",".join(DEFAULT_GAMES)) or DEFAULT_GAMES
        from lottery.games import get_game  # local: games imports nothing from config

        for code in games:
            try:
                get_game(code)
            except KeyError as exc:
                raise ConfigError(f"GAMES: {exc.args[0]}") from None
        source = env.get("DRAW_SOURCE", "simulated").strip().lower() or "simulated"
        if source not in ("simulated", "http"):
            raise ConfigError(f"DRAW_SOURCE must be 'simulated' or 'http', got {source!r}")
        if source == "http" and not env.get("SOURCE_URL", "").strip():
            raise ConfigError("DRAW_SOURCE=http needs SOURCE_URL")
        admin_raw = _list(env, "TELEGRAM_ADMIN_IDS")
        try:
            admin_ids = tuple(int(x) for x in admin_raw)
        except ValueError:
            raise ConfigError("TELEGRAM_ADMIN_IDS must be comma-separated chat ids") from None
        return cls(
            redis_url=env.get("REDIS_URL", "").strip() or None,
            data_dir=Path(env.get("LOTTERY_DATA_DIR", "").strip() or "data"),
            port=_int(env, "PORT", 5000, 1),
            web_host=env.get("WEB_HOST", "").strip() or "0.0.0.0",
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 65_536, 1024),
            admin_token=env.get("ADMIN_TOKEN", "").strip() or None,
            sse_heartbeat=_float(env, "SSE_HEARTBEAT", 15.0, 0.05),
            sse_max_clients=_sse_cap(env),
            metrics_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"].strip())
            if env.get("PROMETHEUS_MULTIPROC_DIR", "").strip() else None,
            cors_origins=_origins(env, "CORS_ORIGINS"),
            environment="railway" if env.get("RAILWAY_ENVIRONMENT", "").strip() else "local",
            games=games,
            source=source,
            source_url=env.get("SOURCE_URL", "").strip() or None,
            source_list_path=env.get("SOURCE_LIST_PATH", "data.list").strip() or "data.list",
            source_issue_field=env.get("SOURCE_ISSUE_FIELD", "issueNumber").strip() or "issueNumber",
            source_number_field=env.get("SOURCE_NUMBER_FIELD", "number").strip() or "number",
            source_token=env.get("SOURCE_TOKEN", "").strip() or None,
            source_timeout=_float(env, "SOURCE_TIMEOUT", 5.0, 0.1),
            source_retries=_int(env, "SOURCE_RETRIES", 3, 1),
            crash_source_url=env.get("CRASH_SOURCE_URL", "").strip() or None,
            crash_source_list_path=env.get("CRASH_SOURCE_LIST_PATH", "").strip(),
            crash_source_id_field=env.get("CRASH_SOURCE_ID_FIELD", "").strip() or "game_id",
            crash_source_multiplier_field=env.get("CRASH_SOURCE_MULTIPLIER_FIELD", "").strip()
            or "crash_point",
            crash_source_hash_field=env.get("CRASH_SOURCE_HASH_FIELD", "").strip() or "hash_value",
            crash_source_profile=_crash_profile(env),
            crash_source_page_size=_int(env, "CRASH_SOURCE_PAGE_SIZE", 100, 1),
            crash_source_max_pages=_int(env, "CRASH_SOURCE_MAX_PAGES", 10, 1),
            poll_delay=_float(env, "POLL_DELAY", 1.0, 0.0),
            sim_secret=env.get("SIM_SERVER_SECRET", "").strip() or None,
            sim_backfill=_int(env, "SIM_BACKFILL", 500, 0),
            max_draws=_int(env, "MAX_DRAWS", 100_000, 1000),
            max_predictions=_int(env, "MAX_PREDICTIONS", 10_000, 100),
            ai_base_url=(env.get("AI_BASE_URL", "").strip() or "https://api.perplexity.ai").rstrip("/"),
            ai_model=env.get("AI_MODEL", "").strip() or "sonar",
            ai_api_keys=_list(env, "AI_API_KEYS"),
            ai_timeout=_float(env, "AI_TIMEOUT", 10.0, 0.1),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip()
            or "https://api.telegram.org/bot",
            telegram_admin_ids=admin_ids,
            simulator_ack_timeout=_float(env, "SIMULATOR_ACK_TIMEOUT", 3.0, 0.0),
            simulator_max_sessions=_int(env, "SIMULATOR_MAX_SESSIONS", 20, 1),
            simulator_history_limit=_int(env, "SIMULATOR_HISTORY_LIMIT", 1000, 10),
            simulator_mc_max_bets=_int(env, "SIMULATOR_MC_MAX_BETS", 20_000_000, 1000),
            simulator_job_queue=_int(env, "SIMULATOR_JOB_QUEUE", 4, 1),
            heavy_rate_limit=_rate_limit(env, "HEAVY_RATE_LIMIT", "30 per minute"),
            alert_webhook_urls=_webhooks(env, "ALERT_WEBHOOK_URLS"),
            alert_multiplier_threshold=_float(env, "ALERT_MULTIPLIER_THRESHOLD", 10.0, 1.01),
            alert_confidence_threshold=_probability(env, "ALERT_CONFIDENCE_THRESHOLD", 0.75),
            alert_drought_rounds=_milestones(env, "ALERT_DROUGHT_ROUNDS", (40, 60, 80, 100)),
            log_level=(env.get("LOG_LEVEL", "INFO").strip() or "INFO").upper(),
        )

    def with_(self, **changes) -> "Settings":
        """Return a copy with some fields changed (tests, the `up` runner)."""
        return replace(self, **changes)

    def public(self) -> dict:
        """Return the settings safe to show: secrets reduced to whether they are set."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.repr:
                out[f.name + "_set"] = bool(value)
            elif isinstance(value, Path):
                out[f.name] = str(value)
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return out
