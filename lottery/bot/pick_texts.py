"""Pick-lottery bot messages: draw results, each ticket's matches, exact odds, never a promise.

Same functions as every family's bot texts (see lottery.bot.wingo_texts). A
"session win" is a ticket matching at least one white ball, which a random
ticket does about a third of the time; the footer says what that is worth.
"""
from __future__ import annotations

from datetime import datetime

from lottery.bot.texts import (SEED_CHAIN, live_text, plural, proof_text, seed_lines,
                               session_counts, target_text, verdict_words, yes_no)
from lottery.games import get_game
from lottery.games.pick import any_prize_probability

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
    recomputed = {"whites": check.get("recomputed_whites"), "bonus": check.get("recomputed_bonus")}
    return proof_text([f"Fairness proof — {game_code} draw {record['issue']}",
                       f"Drawn: {outcome_words(record, game_code)}",
                       *seed_lines(record, check),
                       f"Recomputed: {outcome_words(recomputed, game_code)} "
                       f"(matches: {yes_no(check.get('outcome_matches'))})"],
                      check, formula, SEED_CHAIN)


def era_text(game_code: str) -> str:
    """Return the current matrix and price in words."""
    game = get_game(game_code)
    era = game.current_era
    return f"{game_code}: {era.matrix} since {era.start.isoformat()}, {game.currency} {era.price}"


# -- /check and /pickstats -------------------------------------------------------------------
CHECK_USAGE = ("Usage: /check W W W W W pb B (your white balls, then the bonus balls after "
               "'pb', '+' or 'stars'), optionally a game code first and a draw date "
               "YYYY-MM-DD last; for example /check 5 12 23 34 45 pb 6")
BONUS_WORDS = {"pb", "+", "stars", "star", "ls", "bonus", "powerball"}


def parse_check_args(args: list[str], games: list[str]) -> tuple[str | None, dict, str | None]:
    """Return (game code or None, {whites, bonus}, draw date or None) of /check words.

    Raises ValueError with the reason when the words are not a ticket.
    """
    words = [w for a in args for w in a.replace(",", " ").split()]
    code = None
    if words and not words[0].isdigit() and words[0].lower() not in BONUS_WORDS:
        code = {g.lower(): g for g in games}.get(words[0].lower())
        if code is None:
            raise ValueError(f"{words[0]!r} is not a pick lottery here ({', '.join(games)})")
        words = words[1:]
    day = None
    if words and "-" in words[-1]:
        day, words = words[-1], words[:-1]
    split = next((i for i, w in enumerate(words) if w.lower() in BONUS_WORDS), None)
    if split is None:
        if not words or not all(w.isascii() and w.isdigit() for w in words):
            raise ValueError("give the numbers as whole numbers")
        return code, {"balls": [int(w) for w in words]}, day
    whites, bonus = words[:split], words[split + 1:]
    if not all(w.isascii() and w.isdigit() for w in whites + bonus) or not bonus:
        raise ValueError("give whole numbers, the bonus balls after 'pb'")
    return code, {"whites": [int(w) for w in whites], "bonus": [int(w) for w in bonus]}, day


def _money(currency: str, amount: float) -> str:
    sign = "-" if amount < 0 else "+" if amount > 0 else ""
    return f"{sign}{currency} {abs(amount):,.2f}"


def check_text(game, result: dict, pari_mutuel: bool) -> str:
    """Return one ticket's result against a draw: matches, prize, cost and the money result."""
    cur = game.currency
    drawn = result["draw"]
    lines = [f"{game.code} draw {result['issue']}: {outcome_words(drawn, game.code)}",
             f"Your ticket {outcome_words(result['ticket'], game.code)}: "
             f"{plural(result['white_matches'], 'white')} + {result['bonus_matches']} "
             f"{game.bonus_name} matched"
             + (f" ({' '.join(map(str, result['matched_whites'] + result['matched_bonus']))})"
                if result["white_matches"] or result["bonus_matches"] else "")]
    cost = f"{cur} {result['cost']:,.2f}"
    if result["tier"] is None:
        lines.append(f"No prize. The ticket cost {cost}: net {_money(cur, -result['cost'])}.")
    elif result["prize"] is None:
        kind = ("the jackpot, shared among its winners" if result["jackpot"] else
                "a pari-mutuel prize: its amount is announced after the draw and varies"
                if pari_mutuel else "a prize whose amount is not known here")
        lines.append(f"Tier {result['tier']}: {kind}. The ticket cost {cost}; net unknown "
                     "until the amount is known.")
    else:
        lines.append(f"Tier {result['tier']}: prize {cur} {result['prize']:,.2f}. The ticket "
                     f"cost {cost}: net {_money(cur, result['net'])}.")
    era = game.era_for(result["issue"])
    lines.append(f"Any ticket wins something 1 in {float(1 / any_prize_probability(era)):.2f}; "
                 f"{ODDS}")
    return "\n".join(lines)


def _rate(row: dict | None) -> str:
    if not row or not row.get("n"):
        return "no scored draws"
    p = row.get("p_value")
    p_text = "n/a" if p is None else ("< 0.0001" if p < 0.0001 else f"{p:.4f}")
    return (f"{row['hits']}/{row['n']} = {100 * row['hits'] / row['n']:.1f}% "
            f"(chance {100 * row['chance']:.1f}%, p {p_text})")


def pick_stats_text(game, rows: list[dict], replayed: bool = False) -> str:
    """Return each mode's record next to chance and the random baseline, with verdicts."""
    by: dict[str, dict[str, dict]] = {}
    for row in rows:
        by.setdefault(row["predictor"], {})[row["market"]] = row
    head = [f"{game.code}: each mode's tickets against chance and the random baseline"
            + (" (replayed over back-filled draws, not live)" if replayed else "")]
    if not by:
        return "\n".join(head + ["No scored tickets yet: each mode is scored after every draw."])
    base = by.get("random", {})
    order = ["random"] + [m for m in by if m != "random"] if "random" in by else list(by)
    for mode in order:
        markets = by[mode]
        white, prize = markets.get("white_match"), markets.get("prize")
        n = max((r["n"] for r in markets.values()), default=0)
        label = f"{mode} (baseline)" if mode == "random" else mode
        versus = ""
        if mode != "random" and base.get("white_match", {}).get("n"):
            b = base["white_match"]
            versus = f"; random {100 * b['hits'] / b['n']:.1f}%"
        head += [f"{label}, n={n}:",
                 f"  white ball matched: {_rate(white)}{versus}",
                 f"  any prize: {_rate(prize)}",
                 f"  verdict: {verdict_words((white or {}).get('verdict'))}"]
    era = game.current_era
    head.append(f"Money: every ticket costs {game.currency} {era.price:.2f}; no mode can "
                "change what a fair draw pays back, and more matches than chance still lose "
                "money. p: one-sided binomial test of more matches than chance; verdicts are "
                "corrected for the number of comparisons.")
    return "\n".join(head)
