"""WinGo's bot messages: a digit's size and colours, our calls and hits, the session counts.

Honesty rules (SPEC 2): a rate is never shown without its n, the chance rate
and the 95% interval; nothing suggests raising a stake.
"""
from __future__ import annotations

from datetime import datetime

from lottery.bot.texts import (SEED_CHAIN, live_text, proof_text, seed_lines, session_counts,
                               target_text, yes_no)
from lottery.games import get_game
from lottery.games.wingo import hits as score_hits

SESSION_MARKET = "big_small"  # a session win is a correct Big/Small call


def outcome_words(digit: int, game_code: str) -> str:
    """Return "7 Big Green" style words for a drawn digit."""
    d = get_game(game_code).describe(digit)
    return f"{digit} {d['size']} {'/'.join(d['colors'])}"


def settled(pred: dict | None) -> tuple[int, dict] | None:
    """Return (digit, hits per market) of a stored prediction once it is settled."""
    if not pred or pred.get("result") is None:
        return None
    result = pred["result"]
    digit = int(result["number"] if isinstance(result, dict) else result)
    found = pred.get("hits") or (result.get("hits") if isinstance(result, dict) else None)
    return digit, (found or score_hits(pred, digit))


def _hit_word(hit: bool) -> str:
    return "hit" if hit else "miss"


def _call(pred: dict) -> str:
    numbers = ", ".join(str(n) for n in pred.get("numbers", [])[:3])
    return f"{pred.get('big_small')} · {pred.get('color')} · numbers {numbers}"


def previous_line(game_code: str, previous: dict | None) -> str | None:
    """Return the line about the previous issue's result and our hit or miss."""
    done = settled(previous)
    if done is None:
        return None
    digit, h = done
    return (f"Last {previous['issue']}: {outcome_words(digit, game_code)} — "
            f"Big/Small {_hit_word(h['big_small'])} · colour {_hit_word(h['color'])} · "
            f"top 3 {_hit_word(h['top3'])}")


def session_line(wins: int, losses: int, win_limit: int) -> str:
    """Return the session counters line."""
    return session_counts(wins, losses, win_limit, "Big/Small calls")


def prediction_text(report: dict, previous: dict | None = None,
                    session: tuple[int, int, int] | None = None, *,
                    now: datetime | None = None, tz: str = "UTC") -> str:
    """Return the short live message for a report's next issue."""
    head = [f"{report['game']} · issue {report['next_issue']}",
            f"Prediction: {_call(report['prediction'])}"]
    return live_text(report, head, previous_line(report["game"], previous),
                     session_line(*session) if session is not None else None, now, tz)


def target_reached_text(game_code: str, previous: dict | None, wins: int, losses: int) -> str:
    """Return the message that ends a session at its win target."""
    return target_text(game_code, previous_line(game_code, previous),
                       session_line(wins, losses, 0),
                       "Past hits say nothing about the next draw. /start begins a new session.")


def history_text(game_code: str, draws: list[dict], preds: dict[str, dict]) -> str:
    """Return the last draws (newest first) with our calls and hits."""
    if not draws:
        return f"{game_code}: no settled draws yet."
    lines = [f"{game_code} — last {len(draws)} draws (our call: Big/Small, colour, top 3)"]
    for rec in draws:
        line = f"{rec['issue']}: {outcome_words(int(rec['number']), game_code)}"
        pred = preds.get(rec["issue"])
        done = settled(pred) if pred else None
        if pred is None:
            line += " — no prediction"
        elif done is None:
            line += f" — we said {pred['big_small']}, {pred['color']} (not scored yet)"
        else:
            h = done[1]
            line += (f" — we said {pred['big_small']} {_hit_word(h['big_small'])}, "
                     f"{pred['color']} {_hit_word(h['color'])}, "
                     f"{' '.join(str(n) for n in pred['numbers'][:3])} {_hit_word(h['top3'])}")
        lines.append(line)
    return "\n".join(lines)


def fair_text(game_code: str, record: dict, check: dict, formula: str) -> str:
    """Return the fairness proof of a drawn simulated issue."""
    return proof_text([f"Fairness proof — {game_code} issue {record['issue']}",
                       f"Drawn: {outcome_words(int(record['number']), game_code)}",
                       *seed_lines(record, check),
                       f"Recomputed digit: {check.get('recomputed_number')} "
                       f"(matches: {yes_no(check.get('number_matches'))})"],
                      check, formula, SEED_CHAIN)
