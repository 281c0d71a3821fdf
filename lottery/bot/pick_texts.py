"""Pick-lottery bot messages: draw results, each ticket's matches, exact odds, never a promise.

Same functions as every family's bot texts (see lottery.bot.wingo_texts). A
"session win" is a ticket matching at least one white ball, which a random
ticket does about a third of the time; the footer says what that is worth.
"""
from __future__ import annotations

from datetime import datetime

from lottery.bot.texts import live_text, plural, session_counts, target_text
from lottery.games import get_game

SESSION_MARKET = "white_match"
ODDS = "Every ticket has the same odds; a match says nothing about the next draw."


def _balls(values) -> str:
    return " ".join(f"{int(n):02d}" for n in values or [])


def outcome_words(outcome: dict, game_code: str) -> str:
    """Return "03 15 22 41 69 + 26" style words for a drawn outcome (record or describe dict)."""
    return f"{_balls(outcome.get('whites'))} + {_balls(outcome.get('bonus'))}"


def settled(pred: dict | None) -> tuple[dict, dict] | None:
    """Return (drawn balls, hits per market) of a stored ticket once it is settled."""
    if not pred or not isinstance(pred.get("result"), dict):
        return None
    return pred["result"], pred.get("hits") or {}


def _ticket(pred: dict) -> str:
    return f"{_balls(pred.get('whites'))} + {_balls(pred.get('bonus'))}"


def previous_line(game_code: str, previous: dict | None) -> str | None:
    """Return the line about the previous draw and how our ticket matched it."""
    done = settled(previous)
    if done is None:
        return None
    drawn, _ = done
    whites = len(set(previous.get("whites") or []) & set(drawn.get("whites") or []))
    bonus = len(set(previous.get("bonus") or []) & set(drawn.get("bonus") or []))
    return (f"Last {previous['issue']}: {outcome_words(drawn, game_code)} — our ticket "
            f"{_ticket(previous)} matched {plural(whites, 'white')} + {bonus} bonus")


def session_line(wins: int, losses: int, win_limit: int) -> str:
    """Return the session counters line."""
    return session_counts(wins, losses, win_limit, "matching a white ball")


def prediction_text(report: dict, previous: dict | None = None,
                    session: tuple[int, int, int] | None = None, *,
                    now: datetime | None = None, tz: str = "UTC") -> str:
    """Return the live message for the next draw: the ticket with its exact odds."""
    odds = report.get("odds") or {}
    head = [f"{report['game']} · draw {report['next_issue']}",
            f"Ticket ({report['prediction'].get('mode', '?')}): {_ticket(report['prediction'])}",
            f"Odds of any ticket: jackpot 1 in {odds.get('jackpot_one_in', '?'):,}, any prize "
            f"1 in {odds.get('any_prize_one_in', 0):.2f}. {ODDS}"]
    return live_text(report, head, previous_line(report["game"], previous),
                     session_line(*session) if session is not None else None, now, tz)


def target_reached_text(game_code: str, previous: dict | None, wins: int, losses: int) -> str:
    """Return the message that ends a session at its win target."""
    return target_text(game_code, previous_line(game_code, previous),
                       session_line(wins, losses, 0), ODDS)


def history_text(game_code: str, draws: list[dict], preds: dict[str, dict]) -> str:
    """Return the last draws (newest first) with our ticket's matches."""
    if not draws:
        return f"{game_code}: no settled draws yet."
    lines = [f"{game_code} — last {len(draws)} draws"]
    for rec in draws:
        line = f"{rec['issue']}: {outcome_words(rec, game_code)}"
        pred = preds.get(rec["issue"])
        if pred is None:
            line += " — no ticket"
        else:
            w = len(set(pred.get("whites") or []) & set(rec.get("whites") or []))
            line += f" — our ticket {_ticket(pred)}: {plural(w, 'white')} matched"
        lines.append(line)
    return "\n".join(lines)


def fair_text(game_code: str, record: dict, check: dict, formula: str) -> str:
    """Return the fairness proof of a drawn simulated draw."""
    yes = {True: "yes", False: "NO"}
    recomputed = {"whites": check.get("recomputed_whites"), "bonus": check.get("recomputed_bonus")}
    lines = [f"Fairness proof — {game_code} draw {record['issue']}",
             f"Drawn: {outcome_words(record, game_code)}",
             f"Seed (revealed after the draw): {record.get('seed')}",
             f"Commitment (published before the draw): {record.get('commitment')}",
             f"SHA-256(seed) equals the commitment: {yes[bool(check.get('commitment_matches'))]}",
             f"Recomputed: {outcome_words(recomputed, game_code)} "
             f"(matches: {yes[bool(check.get('outcome_matches'))]})"]
    if "chain_link_matches" in check:
        lines.append(f"Commitment equals the previous seed (hash chain): "
                     f"{yes[bool(check['chain_link_matches'])]}")
    lines += [f"Formula: {formula}", "Verified" if check.get("verified") else "NOT verified"]
    return "\n".join(lines)


def era_text(game_code: str) -> str:
    """Return the current matrix and price in words."""
    game = get_game(game_code)
    era = game.current_era
    return f"{game_code}: {era.matrix} since {era.start.isoformat()}, {game.currency} {era.price}"
