"""Crash bot messages: each round's multiplier, the chance of the next one, never a signal.

Same functions as every family's bot texts (see lottery.bot.wingo_texts). A
session "hit" is a round reaching 2x, which a fair round does 49.5% of the time
whatever came before; a predictor's probability is shown next to that chance.
"""
from __future__ import annotations

from datetime import datetime

from lottery.bot.texts import live_text, pct, proof_text, session_counts, target_text, yes_no
from lottery.games.crash import REACH_MARKETS, STREAK_THRESHOLD, fmt_multiplier, reach_probability

SESSION_MARKET = "reach_2x"
ODDS = ("Every round is independent: the chance of reaching m is 0.99/m whatever came before, "
        "and every cash-out target returns 0.99 per unit staked.")


def outcome_words(outcome, game_code: str) -> str:
    """Return "2.47x" for a multiplier (a number or a stored record)."""
    x = outcome.get("multiplier") if isinstance(outcome, dict) else outcome
    return fmt_multiplier(float(x))


def settled(pred: dict | None) -> tuple[float, dict] | None:
    """Return (multiplier, reached per market) of a stored prediction once it is settled."""
    if not pred or not isinstance(pred.get("result"), dict):
        return None
    x = float(pred["result"]["multiplier"])
    return x, {m: x * 100 >= c - 1e-9 for m, c in REACH_MARKETS.items()}


def previous_line(game_code: str, previous: dict | None) -> str | None:
    """Return the line about the previous round and the targets it reached."""
    done = settled(previous)
    if done is None:
        return None
    x, reached = done
    got = [m.removeprefix("reach_") for m, ok in reached.items() if ok]
    return (f"Last round {previous['issue']}: {outcome_words(x, game_code)} — "
            + (f"reached {', '.join(got)}" if got else "below every target"))


def session_line(wins: int, losses: int, win_limit: int) -> str:
    """Return the session counters line."""
    return session_counts(wins, losses, win_limit, "rounds reaching 2x (chance 49.5%)")


def _reach_line(report: dict) -> str:
    rows = (report.get("prediction") or {}).get("reach") or []
    shown = [f"{r['target']} {pct(r['probability'])} (chance {pct(r['chance'])})"
             for r in rows if r.get("market") in ("reach_2x", "reach_10x")]
    return "Next round reaches: " + ("; ".join(shown) if shown else "no probabilities given")


def prediction_text(report: dict, previous: dict | None = None,
                    session: tuple[int, int, int] | None = None, *,
                    now: datetime | None = None, tz: str = "UTC") -> str:
    """Return the live message for the next round: the predictor's odds next to the chance."""
    run = ((report.get("streaks") or {}).get(f"{STREAK_THRESHOLD:g}x") or {}).get("current_run")
    head = [f"{report['game']} · round {report['next_issue']} ({report.get('predictor', '?')})",
            _reach_line(report)]
    if run is not None:
        head.append(f"No {STREAK_THRESHOLD:g}x for {run} rounds; the chance of "
                    f"{STREAK_THRESHOLD:g}x next round is still "
                    f"{pct(float(reach_probability(STREAK_THRESHOLD)))}.")
    return live_text(report, head, previous_line(report["game"], previous),
                     session_line(*session) if session is not None else None, None, tz)


def target_reached_text(game_code: str, previous: dict | None, wins: int, losses: int) -> str:
    """Return the message that ends a session at its win target."""
    return target_text(game_code, previous_line(game_code, previous),
                       session_line(wins, losses, 0), ODDS)


def history_text(game_code: str, draws: list[dict], preds: dict[str, dict]) -> str:
    """Return the last rounds (newest first) with what our predictor gave 2x."""
    if not draws:
        return f"{game_code}: no settled rounds yet."
    lines = [f"{game_code} — last {len(draws)} rounds (our P(reach 2x); chance 49.5%)"]
    for rec in draws:
        line = f"{rec['issue']}: {outcome_words(rec, game_code)}"
        p = ((preds.get(rec["issue"]) or {}).get("reach_p") or {}).get(SESSION_MARKET)
        lines.append(line + (f" — we gave 2x {pct(p)}" if p is not None
                             else " — no prediction"))
    return "\n".join(lines)


def fair_text(game_code: str, record: dict, check: dict, formula: str) -> str:
    """Return the provably fair check of a played round."""
    links = {"chain_link_matches": "SHA-256 of this hash is the previous round's hash",
             "terminal_matches": f"Leads to the published final hash {check.get('terminal_hash')}"}
    recomputed = outcome_words(check.get("recomputed_multiplier", 0), game_code)
    return proof_text([f"Fairness proof — {game_code} round {record['issue']}",
                       f"Crashed at: {outcome_words(record, game_code)}",
                       f"Round hash (revealed after the round): {record.get('seed')}",
                       f"Recomputed: {recomputed} "
                       f"(matches: {yes_no(check.get('multiplier_matches'))})"],
                      check, formula, links)
