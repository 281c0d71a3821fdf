"""Every Redis key and channel name, in one place.

Names shared with the upstream service keep their exact spelling (SPEC 7).
Per-game names take the game code; anything that grows is bounded by the code
that writes it (trimmed sorted sets, capped lists and streams, or TTLs).
"""
from __future__ import annotations

PREFIX = "lottery:"

# --- upstream-compatible names (do not rename) ---------------------------
LATEST_PREDICTION = "latest_prediction_data"  # JSON report of the default game
AI_TRIGGER_CHANNEL = "lottery:ai_trigger"  # pub/sub: {trigger_type, game, issue, timestamp, source}
AI_PREDICTION = "lottery:ai_prediction"
AI_PREDS_HISTORY = "lottery:ai_preds_history"
AI_BIG_SMALL_ACCURACY = "lottery:ai_big_small_accuracy"
AI_ENABLED = "lottery:ai_enabled"
SIMULATOR_STATE = "lottery:simulator_state"


def telegram_chat(chat_id: int | str) -> str:
    """Hash of one Telegram chat's settings and counters."""
    return f"telegram_chat:{chat_id}"


# --- live events (SSE, bot, simulator) ------------------------------------
EVENTS_CHANNEL = PREFIX + "events"  # pub/sub wake-up: {"id", "type", "game", ...}
EVENTS_STREAM = PREFIX + "events:stream"  # capped stream: replay for Last-Event-ID


# --- per game ----------------------------------------------------------------
def game_prefix(game: str) -> str:
    return f"{PREFIX}{game}:"


def draws_index(game: str) -> str:
    """Sorted set: member issue, score the issue's period ordinal."""
    return game_prefix(game) + "draws:index"


def draws_data(game: str) -> str:
    """Hash: issue -> draw JSON (number, drawn_at, source, seed, commitment)."""
    return game_prefix(game) + "draws:data"


def missing_draws(game: str) -> str:
    """Sorted set of issues the source could not provide (score: ordinal)."""
    return game_prefix(game) + "draws:missing"


def commitments(game: str) -> str:
    """Hash: issue -> seed commitment published before the draw (simulated source)."""
    return game_prefix(game) + "fair:commitments"


def sim_secret(game: str) -> str:
    """The simulated source's server secret when none is configured (never served)."""
    return game_prefix(game) + "fair:secret"


def latest_prediction(game: str) -> str:
    """JSON report of the newest prediction for this game (bytes served as-is)."""
    return game_prefix(game) + "prediction:latest"


def predictions_index(game: str) -> str:
    """Sorted set of issues with a stored report prediction (score: ordinal)."""
    return game_prefix(game) + "predictions:index"


def predictions_data(game: str) -> str:
    """Hash: issue -> report prediction JSON, with its result once settled."""
    return game_prefix(game) + "predictions:data"


def prediction_accuracy(game: str) -> str:
    """Hash of counters: `n` and hits per market of the report predictor."""
    return game_prefix(game) + "predictions:accuracy"


def worker_lock(game: str) -> str:
    """Short lock: one worker replica steps a game at a time."""
    return game_prefix(game) + "worker:lock"


def published_marker(game: str, issue: str) -> str:
    """Set once (NX, with expiry) by the replica that publishes an issue's prediction."""
    return game_prefix(game) + f"published:{issue}"


# --- predictors and evaluation (issue 3) ---------------------------------------
def evaluation_prefix(game: str) -> str:
    """Prefix under which the evaluation module keeps its per-predictor records."""
    return game_prefix(game) + "eval:"


def insights_prefix(game: str) -> str:
    """Prefix under which colour/size insight state is kept."""
    return game_prefix(game) + "insights:"


# --- service status -------------------------------------------------------------
def heartbeat(process: str) -> str:
    """Expiring key: a process is alive while it exists (value: JSON status)."""
    return f"{PREFIX}heartbeat:{process}"


HEARTBEAT_PROCESSES = "lottery:heartbeats"  # set of process names that ever beat


def worker_status(game: str) -> str:
    """Hash of the worker's last step for a game (issue, time, counts)."""
    return game_prefix(game) + "worker:status"


# --- AI worker (issue 4) -------------------------------------------------------
AI_PREFIX = PREFIX + "ai:"

# --- simulator (issue 5) -------------------------------------------------------
SIM_PREFIX = PREFIX + "sim:"

# --- Telegram bot (issue 6) ---------------------------------------------------
BOT_PREFIX = PREFIX + "bot:"
TELEGRAM_SUBSCRIBERS = "telegram_subscribers"  # set of subscribed chat ids (all games)
