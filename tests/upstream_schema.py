"""What the upstream service's clients read, per route: written from reading the code of
workforakng/prediction_backend (app.py, api_monitor.py, worker.py, ai_worker.py,
color_worker_monitor.py, simulator_api.py, simulator_worker.py, templates/*.html).

A schema is a small tree: a Python type (or a tuple of types), a dict of required
fields -> schema, `ListOf(schema)`, `MapOf(schema)` (any keys), `Nullable(schema)`
or `OneOf(value, ...)`. Extra fields in a response are allowed (ours may add them);
missing fields, wrong types and wrong nesting are reported by `check`.
"""
from __future__ import annotations

NUM = (int, float)


class ListOf:
    def __init__(self, item, min_len: int = 0):
        self.item, self.min_len = item, min_len


class MapOf:
    def __init__(self, value, key_pattern: str | None = None):
        self.value, self.key_pattern = value, key_pattern


class Nullable:
    def __init__(self, inner):
        self.inner = inner


class OneOf:
    def __init__(self, *values):
        self.values = values


def check(value, schema, path: str = "$") -> list[str]:
    """Return every difference between `value` and `schema` (empty when it conforms)."""
    import re

    if isinstance(schema, Nullable):
        return [] if value is None else check(value, schema.inner, path)
    if isinstance(schema, OneOf):
        return [] if value in schema.values else [f"{path}: {value!r} not in {schema.values}"]
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        out = []
        for name, sub in schema.items():
            if name not in value:
                out.append(f"{path}.{name}: missing")
            else:
                out += check(value[name], sub, f"{path}.{name}")
        return out
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        out = [] if len(value) >= schema.min_len else [f"{path}: fewer than {schema.min_len} items"]
        for i, item in enumerate(value):
            out += check(item, schema.item, f"{path}[{i}]")
        return out
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        out = []
        for key, item in value.items():
            if schema.key_pattern and not re.fullmatch(schema.key_pattern, key):
                out.append(f"{path}: key {key!r} does not match {schema.key_pattern}")
            out += check(item, schema.value, f"{path}.{key}")
        return out
    # A plain type; bool is not a number here (JSON true is not 1).
    types = schema if isinstance(schema, tuple) else (schema,)
    if isinstance(value, bool) and bool not in types:
        return [f"{path}: expected {types}, got bool"]
    return [] if isinstance(value, types) else [
        f"{path}: expected {'/'.join(t.__name__ for t in types)}, got {type(value).__name__}"]


ISSUE = r"\d{13,20}"
COLOR = OneOf("Red", "Green", "Violet")
SIZE = OneOf("Big", "Small")
STREAK = {"current_win": int, "max_win": int, "current_loss": int, "max_loss": int}
NUMBER_LIKELIHOOD = {"number": int, "likelihood": NUM}

# ---- app.py -------------------------------------------------------------------------------
HEALTH = {"status": OneOf("healthy", "degraded"), "redis": str, "environment": str,
          "port": int, "timestamp": str}
REDIS_STATUS = {"status": str, "connected": bool, "latency_ms": NUM, "redis_version": str,
                "connected_clients": int, "used_memory_human": str, "timestamp": str}
STATUS = {"service_status": str, "last_main_prediction_update_timestamp": str,
          "main_prediction_data_status": str, "main_prediction_message": str,
          "ai_enabled_flag": bool, "environment": str, "redis_available": bool}
AI_STATUS = {"ai_enabled_flag": bool, "redis_available": bool}
AI_SWITCH = {"status": OneOf("success"), "message": str, "ai_enabled_flag": bool}
NOT_FOUND = {"status": OneOf("error"), "message": str, "available_endpoints": ListOf(str, 1)}
RESET_STREAKS = {"status": OneOf("success"), "message": str, "reset_from_issue": str,
                 "timestamp": str}

# ---- api_monitor.py generate_report + worker.py (the stored report) -------------------
PREDICTION = {
    "next_issue": str,
    "prediction": {"numbers": ListOf(int, 3), "predicted_likelihoods": ListOf(NUMBER_LIKELIHOOD, 3),
                   "big_small": SIZE,
                   "big_small_percentages": {"small_percentage": NUM, "big_percentage": NUM},
                   "color": COLOR, "color_percentages": MapOf(NUM, "Red|Green|Violet")},
    "likelihoods": ListOf({"number": int, "current_missing": int, "avg_missing": NUM,
                           "likelihood": NUM, "status": str, "deviation": NUM}, 10),
    "accuracy": {name: str for name in ("number_accuracy", "big_small_accuracy", "color_accuracy")},
    "streaks": {"number": STREAK, "big_small": STREAK, "color": STREAK},
    "recent_results": MapOf(int, ISSUE),
    "past_predictions": MapOf({"predicted_numbers": ListOf(int),
                               "predicted_likelihoods": ListOf(NUMBER_LIKELIHOOD),
                               "predicted_big_small": SIZE, "predicted_color": COLOR,
                               "recorded_at": str}, ISSUE),
    "prediction_history": ListOf({
        "issue": str,
        "prediction": {"number": ListOf(int), "likelihoods": ListOf(NUMBER_LIKELIHOOD),
                       "big_small": SIZE, "color": COLOR},
        "result": {"number": int, "big_small": SIZE, "colors": ListOf(COLOR, 1)},
        "correct": {"number": bool, "big_small": bool, "color": bool}}),
    "sequence_analysis": ListOf({"message": str, "pattern": ListOf(int, 2),
                                 "predictions": ListOf({"number": int, "count": int,
                                                        "chance": NUM}, 1)}),
    "report_metadata": {"generated_at": str, "environment": str, "history_entries": int,
                        "predictions_count": int, "service_name": str},
    "status": OneOf("success"), "timestamp": str, "worker_environment": str,
    "generation_time_seconds": NUM, "ai_enabled": bool,
}
OUTCOME = {"correct_number": bool, "correct_big_small": bool, "correct_color": bool,
           "verified_at": str}
PREDICTION_INITIALIZING = {"status": OneOf("initializing"), "message": str, "ai_enabled": bool}

# ---- ai_worker.py ------------------------------------------------------------------------
AI_PREDICTION = {"issue": str, "ai_prediction": Nullable(int),
                 "ai_predicted_category": Nullable(OneOf("big", "small")), "timestamp": str,
                 "environment": str}
AI_NO_DATA = {"status": OneOf("no_data"), "message": str}
_SIDE = {"total": int, "correct": int, "accuracy_percentage": NUM}
AI_ACCURACY = {"total_predictions": int, "correct_predictions": int,
               "overall_accuracy_percentage": NUM, "big_predictions": _SIDE,
               "small_predictions": _SIDE, "timestamp": str,
               "status": OneOf("no_data", "early_data", "limited_data", "reliable_data"),
               "message": str}

# ---- color_worker_monitor.py via app.py's insight routes --------------------------------
def _insight(kind: str, pick, short: str) -> dict:
    return {
        f"{kind}_prediction": {"issue": str, f"next_{kind}": pick, "rule_name": str,
                               "confidence": NUM, "score": NUM, "observed_sequence": str,
                               "last_updated": str, "prediction_source": str,
                               "available_rules": int},
        f"{kind}_accuracy": {"total_predictions": int, "correct_predictions": int,
                             "accuracy_percentage": NUM, "timestamp": str,
                             "per_rule": MapOf({"accuracy_pct": NUM, "total": int,
                                                "correct": int})},
        f"{kind}_streaks": {"current_win_streak": int, "current_lose_streak": int,
                            "max_win_streak": int, "max_lose_streak": int,
                            "win_streak_distribution": MapOf(int, r"\d+"),
                            "lose_streak_distribution": MapOf(int, r"\d+"), "timestamp": str},
        f"{kind}_prediction_history": ListOf({"issue": str, f"predicted_{kind}": pick,
                                              f"actual_{kind}": Nullable(pick),
                                              "prediction_time": str, "rule_name": str}, 2),
    }


COLOR_INSIGHTS = _insight("color", OneOf("Red", "Green"), "R")
SIZE_INSIGHTS = _insight("size", SIZE, "S")
V2_INSIGHTS = {**COLOR_INSIGHTS, **SIZE_INSIGHTS}

# ---- simulator_api.py + simulator_worker.py ---------------------------------------------
STRATEGY = {"is_active": bool, "base_bet": NUM, "bet_multipliers": ListOf(NUM),
            "max_progression_steps": int, "current_bet": NUM, "current_progression_step": int,
            "current_win_streak": int, "max_win_streak": int, "current_loss_streak": int,
            "max_loss_streak": int, "rounds_played": int, "total_wagered": NUM,
            "total_winnings": NUM, "last_updated": str}
SIM_BET_ENTRY = {"timestamp": str, "issue": str, "actual_outcome_digit": int,
                 "bet_type": OneOf("color", "big_small", "number"),
                 "predicted_value": (str, int), "bet_amount": NUM, "payout_factor": NUM,
                 "wallet_change": NUM, "current_wallet": NUM, "result": OneOf("Win", "Loss"),
                 "strategy_key": str, "strategy_win_streak": int, "strategy_loss_streak": int,
                 "progression_step": int, "simulation_mode": str}
SIM_STATE = {
    "is_running": bool, "total_wallet": NUM, "initial_wallet": NUM, "simulation_mode": str,
    "cycle_duration": int, "last_cycle_time": Nullable(str),
    "bet_strategies": {"color_bet_strategy": STRATEGY, "big_small_bet_strategy": STRATEGY,
                       "number_bet_strategy": STRATEGY},
    "prediction_history": ListOf(dict), "last_simulated_issue": Nullable(str),
    "total_simulated_rounds": int,
    "session_stats": {"start_time": Nullable(str), "total_bets_placed": int, "total_wins": int,
                      "total_losses": int, "net_profit_loss": NUM, "best_wallet": NUM,
                      "worst_wallet": NUM},
    "environment": str,
}
SIM_START = {"status": OneOf("success"), "message": str, "state": SIM_STATE}
SIM_STATUS = {"status": OneOf("success"),
              "state": {**SIM_STATE, "performance_metrics": {
                  "profit_loss": NUM, "percentage_change": NUM, "is_profitable": bool,
                  "cycle_type": str, "environment": str}}}
SIM_NOT_INITIALIZED = {"status": OneOf("not_initialized"), "message": str}
SIM_HISTORY = {"status": OneOf("success"), "history": ListOf(dict),
               "pagination": {"page": int, "per_page": int, "total_entries": int,
                              "total_pages": int}}
SIM_SUMMARY = {"initial_wallet": NUM, "final_wallet": NUM, "net_change": NUM,
               "percentage_change": NUM, "total_rounds": int, "session_duration": Nullable(str),
               "total_bets": int, "win_rate": NUM}
SIM_STOP = {"status": OneOf("success"), "message": str, "session_summary": SIM_SUMMARY}
SIM_STOP_NOTHING = {"status": OneOf("success"), "message": str, "session_summary": {}}
SIM_CONFIG = {"status": OneOf("success"), "message": str, "state": SIM_STATE}
