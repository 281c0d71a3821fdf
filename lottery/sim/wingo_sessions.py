"""WinGo's live simulator sessions: the upstream strategy objects and simulation modes.

The upstream simulator takes one strategy object per market (colour, big/small,
number), each naming its fixed target in its own field, and three simulation
modes; `lottery.sim.sessions` runs them like any game's session rules.
"""
from __future__ import annotations

from types import MappingProxyType

from lottery.games.wingo import BIG, CONTRACT_FACTOR, GREEN, VARIANTS
from lottery.sim.sessions import REPORT, STOP_TEXT, SessionRules, StrategyRule

RULES = SessionRules(
    strategies=MappingProxyType({
        "color_bet_strategy": StrategyRule("color", "target_color", GREEN, "martingale"),
        "big_small_bet_strategy": StrategyRule("big_small", "target_side", BIG, "martingale"),
        "number_bet_strategy": StrategyRule("number", "target_number", "0", "flat",
                                            numeric_target=True),
    }),
    modes=MappingProxyType({
        "main_app_prediction": {"color": REPORT, "big_small": REPORT, "number": REPORT},
        "color_size_prediction": {"color": "color_rules", "big_small": "size_rules",
                                  "number": REPORT},
        "internal_logic": {},  # fixed targets only: auto_target is ignored
    }),
    default_mode="main_app_prediction",
    public_state=lambda session, rounds, environment: upstream_state(session, rounds, environment),
    public_history=lambda rounds, mode: upstream_history(rounds, mode),
)


def upstream_state(session: dict, rounds: list[dict], environment: str) -> dict:
    """Return a session as upstream's simulator state, with ours alongside.

    Upstream settles a bet in the same step it places it, so its total_wallet
    always includes every stake: ours does too (total_wallet = available +
    in play); `available_wallet` is what new bets can use.
    """
    state = {**session}
    state["total_wallet"] = _m(session["total_wallet"] + session["in_play"])
    state["available_wallet"] = session["total_wallet"]
    state["cycle_duration"] = VARIANTS[session["game"]].period_seconds
    played = session["total_simulated_rounds"] or session["skipped_rounds"]
    state["last_cycle_time"] = session["updated_at"] if played else None
    state["environment"] = environment
    reason = session["stop_reason"]
    state["stop_reason_text"] = STOP_TEXT.get(reason, reason) if reason else None
    state["bet_strategies"] = {
        key: {**strategy, "max_progression_steps": max(len(strategy["bet_multipliers"]) - 1, 0),
              "last_updated": session["updated_at"]}
        for key, strategy in session["bet_strategies"].items()}
    state["prediction_history"] = upstream_history(rounds, session["simulation_mode"])
    state["rounds"] = rounds
    return state


def upstream_history(rounds: list[dict], mode: str) -> list[dict]:
    """Return history rounds (newest first) as upstream's entries: one per bet or message."""
    out = []
    for row in rounds:
        base = {"timestamp": row.get("timestamp"), "issue": row.get("issue")}
        if "bets" in row:
            digit = row["outcome"]["number"]
            for bet in row["bets"]:
                market = RULES.strategies[bet["strategy"]].market
                stake, returned = bet["stake"], bet["returned"]
                out.append({**base, "actual_outcome_digit": digit, "bet_type": market,
                            "predicted_value": int(bet["bet"]) if market == "number" else bet["bet"],
                            "bet_amount": stake,
                            # The platform's multiplier (2, 1.5, 4.5, 9), before its 2% fee.
                            "payout_factor": round(returned / (stake * CONTRACT_FACTOR), 4)
                            if returned else 0,
                            "wallet_change": bet["profit"], "current_wallet": row["wallet_after"],
                            "result": bet["result"], "strategy_key": bet["strategy"],
                            "strategy_win_streak": bet.get("win_streak", 0),
                            "strategy_loss_streak": bet.get("loss_streak", 0),
                            "progression_step": bet.get("progression_step", 0),
                            "simulation_mode": mode})
            if row.get("stopped"):
                out.append({**base, "message": row["stopped"],
                            "final_wallet": row["wallet_after"]})
        elif row.get("skipped"):
            out.append({**base, "message": f"no bet placed: {row.get('reason')}"})
        else:
            out.append({**base, "message": row.get("message", "")})
    return out


def _m(value: float) -> float:
    return round(float(value), 6)
