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


# Where versions before issue 11 kept the simulated feed's secret; the draw worker deletes
# it (the secret now lives only in SIM_SERVER_SECRET or an owner-only file).
LEGACY_SIM_SECRET = PREFIX + "fair:secret"

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




def feed_info(game: str) -> str:
    """Hash of a simulated feed's public facts (a crash chain's published final hash, salt)."""
    return game_prefix(game) + "fair:feed"


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


def eval_issue(game: str, issue: str) -> str:
    """Hash: predictor -> prediction JSON for one issue, plus `r:{predictor}` markers (TTL)."""
    return evaluation_prefix(game) + f"pred:{issue}"


def eval_predictors(game: str) -> str:
    """Set of predictor names with records (capped by the recorder)."""
    return evaluation_prefix(game) + "predictors"


def eval_totals(game: str, predictor: str) -> str:
    """Hash of one predictor's counters per market (constant size)."""
    return evaluation_prefix(game) + f"totals:{predictor}"


def eval_cumulative(game: str, predictor: str) -> str:
    """List of cumulative counter snapshots, newest first (capped): windows by subtraction."""
    return evaluation_prefix(game) + f"cum:{predictor}"


def eval_version(game: str) -> str:
    """Counter bumped by every scored prediction: the scoreboard cache is valid while it holds."""
    return evaluation_prefix(game) + "version"


def eval_replay(game: str) -> str:
    """JSON of the replayed record: predictors walked forward over back-filled history."""
    return evaluation_prefix(game) + "replay"


def eval_board_cache(game: str) -> str:
    """Hash: window ("all" or N) -> scoreboard JSON with the version it was computed at (capped)."""
    return evaluation_prefix(game) + "board"


def audit_cache(game: str, window: int) -> str:
    """Short-lived cached randomness audit JSON of the newest `window` draws."""
    return evaluation_prefix(game) + f"audit:{window}"


def insight_next(game: str, kind: str) -> str:
    """JSON of the pending colour or size rule prediction (kind: color or size)."""
    return insights_prefix(game) + f"{kind}:next"


def insight_stats(game: str, kind: str) -> str:
    """Hash of insight counters: overall, per rule, streaks and their distributions."""
    return insights_prefix(game) + f"{kind}:stats"


def insight_history(game: str, kind: str) -> str:
    """List of resolved insight predictions, newest first (capped)."""
    return insights_prefix(game) + f"{kind}:history"


# --- service status -------------------------------------------------------------
def heartbeat(process: str) -> str:
    """Expiring key: a process is alive while it exists (value: JSON status)."""
    return f"{PREFIX}heartbeat:{process}"


HEARTBEAT_PROCESSES = "lottery:heartbeats"  # set of process names that ever beat
# Heartbeat names of the processes /api/status reports on.
PROCESSES = ("worker", "ai_worker", "sim_worker", "bot")

# Monitoring (lottery.metrics): predictions published per game, ever and per minute.
METRICS_PREDICTIONS = f"{PREFIX}metrics:predictions"  # hash game -> count


def metrics_predictions_minute(game: str, minute: int) -> str:
    """Counter of one game's predictions published in one minute (expires after 3)."""
    return f"{PREFIX}metrics:predictions:{game}:{minute}"




def worker_status(game: str) -> str:
    """Hash of the worker's last step for a game (issue, time, counts)."""
    return game_prefix(game) + "worker:status"


# --- AI worker (issue 4) -------------------------------------------------------
AI_PREFIX = PREFIX + "ai:"
AI_STATUS = AI_PREFIX + "status"  # hash: worker state, key_configured, counters, last success/failure
AI_LATENCIES = AI_PREFIX + "latencies"  # capped list of recent provider call latencies (ms)


def ai_history_field(game: str, issue: str) -> str:
    """Field of `lottery:ai_preds_history` for an issue (the bare issue for the default game)."""
    # The upstream service keyed the hash by the bare issue of its one game; other games
    # get their code in front so issues of different games never collide.
    from lottery.config import DEFAULT_GAME  # local: keys stays import-free for every module

    return issue if game == DEFAULT_GAME else f"{game}:{issue}"


def ai_history_index(game: str) -> str:
    """Sorted set of issues with an AI prediction in the history (score: period ordinal)."""
    return game_prefix(game) + "ai:index"


def ai_unresolved(game: str) -> str:
    """Sorted set of issues with a valid AI prediction not yet scored (score: ordinal)."""
    return game_prefix(game) + "ai:unresolved"


def ai_latest(game: str) -> str:
    """JSON of the newest AI prediction of a game (`lottery:ai_prediction` for the default)."""
    return game_prefix(game) + "ai:latest"


def ai_accuracy(game: str) -> str:
    """Hash of counters of resolved AI predictions (totals and hits per market)."""
    return game_prefix(game) + "ai:accuracy"


def ai_claim(game: str, issue: str) -> str:
    """Short lease (NX, value: the owner's process token) held while asking about an issue."""
    return game_prefix(game) + f"ai:claim:{issue}"


def ai_open(game: str) -> str:
    """Sorted set of issues the AI worker started on and has no stored answer for yet."""
    return game_prefix(game) + "ai:open"


AI_RECENT = AI_PREFIX + "recent"  # capped list of the latest outcomes ("1" ok, "0" failed)

# --- simulator (issue 5) -------------------------------------------------------
SIM_PREFIX = PREFIX + "sim:"
# SIMULATOR_STATE (above) is a hash: session id -> session JSON; the simulator
# worker is its only writer and keeps at most SIMULATOR_MAX_STORED sessions.
SIM_COMMANDS = SIM_PREFIX + "commands"  # list: the API LPUSHes start/stop/config, the worker RPOPs
SIM_WAKE_CHANNEL = SIM_PREFIX + "wake"  # pub/sub: a command was queued
SIM_LAST_EVENT = SIM_PREFIX + "last_event_id"  # newest event of EVENTS_STREAM the worker applied
SIM_WORKER = "sim_worker"  # process name: heartbeat(SIM_WORKER) exists while the worker runs


SIM_JOBS = SIM_PREFIX + "jobs"  # list of queued Monte Carlo/backtest job ids (bounded by the API)
RATE_LIMIT_PREFIX = PREFIX + "ratelimit"  # Flask-Limiter's counters (expiring)


def sim_job(job_id: str) -> str:
    """JSON of one heavy job: status, then its result or error (expires after an hour)."""
    return SIM_PREFIX + f"job:{job_id}"


def sim_history(session_id: str) -> str:
    """Capped list of one session's settled and skipped rounds, newest first."""
    return SIM_PREFIX + f"history:{session_id}"


def sim_reply(command_id: str) -> str:
    """The worker's reply to one command (a one-element list with a short TTL)."""
    return SIM_PREFIX + f"reply:{command_id}"


# --- Telegram bot (issue 6) ---------------------------------------------------
BOT_PREFIX = PREFIX + "bot:"
TELEGRAM_SUBSCRIBERS = "telegram_subscribers"  # set of subscribed chat ids (all games)
TELEGRAM_SCHEDULED = BOT_PREFIX + "scheduled_chats"  # set of chat ids with daily session starts


def telegram_sent(game: str, issue: str) -> str:
    """Set of chat ids already sent an issue's prediction (expires a few periods later)."""
    return BOT_PREFIX + f"sent:{game}:{issue}"


def telegram_delivery(game: str, issue: str) -> str:
    """Hash chat id -> delivery state of an issue: queued, on the wire (owner), done, failed."""
    return BOT_PREFIX + f"delivery:{game}:{issue}"


def bot_process(token: str) -> str:
    """Expiring key: a bot process is alive while it exists (its in-flight sends are its own)."""
    return BOT_PREFIX + f"process:{token}"


def telegram_schedule_done(chat_id: int | str, local_day: str, hhmm: str, kind: str) -> str:
    """Set once (NX, with expiry) when a chat's scheduled reminder or start has fired."""
    return BOT_PREFIX + f"sched:{chat_id}:{local_day}:{hhmm}:{kind}"


# --- Pick lotteries (issue 14) ---------------------------------------------------
PICK_PREFIX = PREFIX + "pick:"


def pick_tickets(game: str, mode: str) -> str:
    """Sorted set of a mode's pre-generated tickets (JSON), scored by creation time; 7-day expiry."""
    return PICK_PREFIX + f"tickets:{game}:{mode}"


def pick_batch_metrics(game: str) -> str:
    """Hash of the batch generator's metrics (runs, successes, failures, per mode)."""
    return PICK_PREFIX + f"batch_metrics:{game}"


def pick_batch_errors(game: str) -> str:
    """Hash mode -> the error of its last failed batch (deleted when it next succeeds)."""
    return PICK_PREFIX + f"batch_errors:{game}"


def pick_import_versions(game: str) -> str:
    """Hash version -> JSON of one CSV import snapshot (hash, counts, source, rollback)."""
    return PICK_PREFIX + f"imports:{game}"


def pick_import_seq(game: str) -> str:
    """Counter: the last import version number handed out."""
    return PICK_PREFIX + f"imports_seq:{game}"


def pick_import_hashes(game: str) -> str:
    """Hash content sha256 -> version of the live import with that content."""
    return PICK_PREFIX + f"imports_hash:{game}"


def pick_import_added(game: str) -> str:
    """Hash version -> comma-joined draw dates that import added (what a rollback removes)."""
    return PICK_PREFIX + f"imports_added:{game}"


# --- alerts (issue 13) -----------------------------------------------------------
ALERTS_PREFIX = PREFIX + "alerts:"
ALERTS_STREAM = ALERTS_PREFIX + "stream"  # capped stream of published alerts (JSON)
ALERTS_CHANNEL = ALERTS_PREFIX + "wake"  # pub/sub wake-up: an alert was published


def alert_once(game: str, key: str) -> str:
    """Set once (NX, with expiry) when an alert fires: the same alert is never published twice."""
    return ALERTS_PREFIX + f"once:{game}:{key}"


def alert_cursor(channel: str) -> str:
    """The newest alert (stream id) a delivery channel (webhook, telegram) has handled."""
    return ALERTS_PREFIX + f"cursor:{channel}"


def alert_claim(channel: str, alert_id: str) -> str:
    """Set once (NX, with expiry) by the process that delivers an alert on a channel."""
    return ALERTS_PREFIX + f"claim:{channel}:{alert_id}"


def telegram_alert_chats(game: str) -> str:
    """Set of chat ids subscribed to a game's alerts."""
    return BOT_PREFIX + f"alert_chats:{game}"
