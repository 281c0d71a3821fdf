"""Every message the bot sends, as pure functions of stored data.

Honesty rules (SPEC 2): a rate is never shown without its n, the chance rate
and the 95% interval; the verdict is "no evidence of an edge over chance"
unless the scoreboard says otherwise; nothing suggests raising a stake.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lottery.games import get_game
from lottery.predictors.base import hits as score_hits

MARKET_LABELS = {"big_small": "Big/Small", "color": "Colour", "top3": "Top 3",
                 "number": "Top number"}
SESSION_MARKET = "big_small"  # a session win is a correct Big/Small call
NO_EDGE = "no evidence of an edge over chance"
FOOTER = "Draws are random: no proven edge over chance (/stats). Paper play only."

USAGE = {
    "game": "Usage: /game CODE (one of: {games})",
    "fair": "Usage: /fair ISSUE (for example /fair {example})",
    "winlimit": "Usage: /winlimit N (1-1000 wins ends the session), or /winlimit off",
    "timezone": "Usage: /timezone Area/City (for example /timezone Asia/Kolkata)",
    "schedule": "Usage: /schedule HH:MM (24-hour, your timezone) toggles a daily start; "
                "/schedule alone shows the buttons",
    "broadcast": "Usage: /broadcast TEXT",
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """Return "1 hit", "2 hits", "0 misses": the count with the word in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def counts(wins: int, losses: int) -> str:
    """Return "1 hit / 0 misses"."""
    return f"{plural(wins, 'hit')} / {plural(losses, 'miss', 'misses')}"


def pct(x: float | None) -> str:
    """Return a rate as a percentage with one decimal."""
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


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
    target = f" (target {plural(win_limit, 'hit')})" if win_limit else ""
    return f"Session: {counts(wins, losses)} on Big/Small calls{target}"


def draw_line(game_code: str, issue: str, now: datetime, tz: str = "UTC") -> str:
    """Return when an issue is drawn, in the chat's timezone, and how long until then."""
    at = get_game(game_code).draw_time(issue)
    seconds = int((at - now).total_seconds())
    local = at.astimezone(ZoneInfo(tz))
    when = f"{local:%H:%M:%S} {tz}"
    if seconds <= 0:
        return f"Drawn at {when}."
    wait = plural(seconds, "second") if seconds < 120 else plural(round(seconds / 60), "minute")
    return f"Draw at {when} (in {wait}); the next prediction follows it."


def prediction_text(report: dict, previous: dict | None = None,
                    session: tuple[int, int, int] | None = None, *,
                    now: datetime | None = None, tz: str = "UTC") -> str:
    """Return the short live message for a report's next issue."""
    lines = [f"{report['game']} · issue {report['next_issue']}",
             f"Prediction: {_call(report['prediction'])}"]
    if now is not None:
        lines.append(draw_line(report["game"], report["next_issue"], now, tz))
    prev = previous_line(report["game"], previous)
    if prev:
        lines.append(prev)
    if session is not None:
        lines.append(session_line(*session))
    lines.append(FOOTER)
    return "\n".join(lines)


def target_reached_text(game_code: str, previous: dict | None, wins: int, losses: int) -> str:
    """Return the message that ends a session at its win target."""
    lines = [f"{game_code}: win target reached — session ended."]
    prev = previous_line(game_code, previous)
    if prev:
        lines.append(prev)
    lines += [session_line(wins, losses, 0),
              "Past hits say nothing about the next draw. /start begins a new session.",
              FOOTER]
    return "\n".join(lines)


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


def verdict_words(verdict: str | None) -> str:
    """Return the verdict as shown: edge only when the scoreboard says so."""
    v = (verdict or "").lower()
    if v == "edge":
        return "evidence of an edge (multiple-comparison corrected)"
    if v.startswith("worse"):
        return "worse than chance"
    if v.startswith("too few"):
        return "too few draws to judge; " + NO_EDGE
    return NO_EDGE


def stat_line(label: str, row: dict) -> str:
    """Return one accuracy figure with n, chance rate, 95% interval and verdict."""
    n, hits_ = int(row.get("n") or 0), int(row.get("hits") or 0)
    chance = row.get("chance")
    if n == 0:
        return f"{label}: no settled predictions yet (chance {pct(chance)})"
    lo, hi = row.get("ci95") or (None, None)
    return (f"{label}: {hits_}/{n} hits = {pct(hits_ / n)} (n={n}; chance {pct(chance)}; "
            f"95% CI {pct(lo)}–{pct(hi)}) — {verdict_words(row.get('verdict'))}")


def stats_text(game_code: str, sections: list[tuple[str, list[tuple[str, dict]]]],
               live: str | None = None, show_all: bool = False) -> tuple[str, bool]:
    """Return the scoreboard led by the predictor behind the live calls, and whether more
    predictors were left out (shown by `/stats all`)."""
    lines = [f"{game_code} scoreboard (all draws are random; chance is the baseline)"]
    if not sections:
        lines.append("No settled predictions yet.")
        return "\n".join(lines), False
    lead = next((i for i, (title, _) in enumerate(sections)
                 if live and title.rsplit(": ", 1)[-1] == live), None)
    ordered = sections if lead is None else [sections[lead]] + sections[:lead] + sections[lead + 1:]
    shown = ordered if show_all else ordered[:1]
    for n, (title, rows) in enumerate(shown):
        lines.append("")
        if n == 0 and lead is not None:
            title = f"Live calls come from {title[0].lower()}{title[1:]}"
        lines.append(title)
        lines += [stat_line(label, row) for label, row in rows]
    more = len(ordered) - len(shown)
    if more:
        lines += ["", f"{plural(more, 'other predictor')} measured the same way: /stats all "
                      "(or the button) shows them."]
    return "\n".join(lines), bool(more)


def fair_text(game_code: str, record: dict, check: dict, formula: str) -> str:
    """Return the fairness proof of a drawn simulated issue."""
    yes = {True: "yes", False: "NO"}
    lines = [f"Fairness proof — {game_code} issue {record['issue']}",
             f"Drawn: {outcome_words(int(record['number']), game_code)}",
             f"Seed (revealed after the draw): {record.get('seed')}",
             f"Commitment (published before the draw): {record.get('commitment')}",
             f"SHA-256(seed) equals the commitment: {yes[bool(check.get('commitment_matches'))]}",
             f"Recomputed digit: {check.get('recomputed_number')} "
             f"(matches: {yes[bool(check.get('number_matches'))]})"]
    if "chain_link_matches" in check:
        lines.append(f"Commitment equals the previous seed (hash chain): "
                     f"{yes[bool(check['chain_link_matches'])]}")
    lines += [f"Formula: {formula}", "Verified" if check.get("verified") else "NOT verified"]
    return "\n".join(lines)


def fair_pending_text(game_code: str, issue: str, commitment: str, draw_at: str) -> str:
    """Return the commitment of an issue not drawn yet."""
    return (f"{game_code} issue {issue} is not drawn yet (draw at {draw_at}).\n"
            f"Commitment published now: {commitment}\n"
            f"After the draw, /fair {issue} reveals the seed so you can check it.")


def status_text(state, now_local, today: str) -> str:
    """Return a chat's session, today's counters and schedule, in its timezone."""
    lines = [f"Game {state.game} · timezone {state.tz} (local time {now_local:%Y-%m-%d %H:%M})"]
    if state.subscribed:
        since = "now"
        if state.session_started_at:
            started = datetime.fromisoformat(state.session_started_at)
            since = f"{started.astimezone(now_local.tzinfo):%Y-%m-%d %H:%M}"
        lines.append(f"Session running since {since}")
        lines.append(session_line(state.session_wins, state.session_losses, state.win_limit))
    else:
        lines.append("Session stopped (/start begins one)"
                     + (f"; win target {plural(state.win_limit, 'hit')}" if state.win_limit
                        else ""))
    wins, losses = state.today_counts(today)
    lines.append(f"Today ({today}): {counts(wins, losses)}")
    lines.append("Daily starts: " + (", ".join(state.schedules) if state.schedules else "none"))
    lines.append(FOOTER)
    return "\n".join(lines)


def schedule_list_text(schedules: list[str], tz: str) -> str:
    """Return the daily start times of a chat."""
    if not schedules:
        return f"No daily starts. /schedule HH:MM adds one (timezone {tz})."
    return (f"Daily session starts ({tz}): {', '.join(schedules)}\n"
            "A reminder comes 5 minutes before each. /clearschedule removes them all.")


def split_message(text: str, limit: int = 4000) -> list[str]:
    """Split a long text on line breaks into parts Telegram accepts (4096 characters max)."""
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line is cut hard
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    parts.append(current)
    return parts


def help_text(is_admin: bool, games: tuple[str, ...]) -> str:
    """Return the command list."""
    lines = [
        "Live WinGo predictions, measured honestly against chance.",
        "/start — follow the live feed (starts a session)",
        "/stop — stop the feed",
        "/reset — start a new session (counts back to 0)",
        f"/game CODE — switch game ({', '.join(games)})",
        "/prediction — the latest prediction",
        "/history — the last 10 draws with our calls and hits",
        "/stats — how the predictor behind the live calls does (n, chance rate, 95% interval, "
        "verdict); /stats all — every predictor",
        "/fair ISSUE — the fairness proof of a simulated draw",
        "/status — this session and today's hits/misses",
        "/winlimit N — end the session after N correct Big/Small calls (off to clear)",
        "/timezone Area/City — your timezone for days and schedules",
        "/schedule HH:MM — toggle a daily session start; /schedule shows buttons",
        "/viewschedule, /clearschedule — list or remove daily starts",
        FOOTER,
    ]
    if is_admin:
        lines += ["Admin: /ai_on, /ai_off, /broadcast TEXT, /subscribers"]
    return "\n".join(lines)
