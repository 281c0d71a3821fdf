"""The bot's messages that any game shares, as pure functions of stored data.

What a message says about a game's own outcomes and calls comes from the
game's family (`family_texts(code)`: WinGo's is `lottery.bot.wingo_texts`).

Honesty rules (SPEC 2): a rate is never shown without its n, the chance rate
and the 95% interval; the verdict is "no evidence of an edge over chance"
unless the scoreboard says otherwise; nothing suggests raising a stake.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lottery.alerts import RULES
from lottery.games import get_game

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
    "alerts": "Usage: /alerts on or /alerts off (add a game: {games})",
}
ALERTS_ABOUT = ("Alerts say when a multiplier has not come for a long run of rounds and when it "
                "lands; they always give the real chance of the next round, which a drought never "
                "raises. A predictor's call is only sent when its record shows an edge.")


def family_texts(game_code: str):
    """Return the message module of a game's family."""
    return get_game(game_code).bot_texts()


def market_labels(game_code: str) -> dict[str, str]:
    """Return {market: label} of a game, in display order."""
    return {m.name: m.label for m in get_game(game_code).markets}


SEED_CHAIN = {"chain_link_matches": "Commitment equals the previous seed (hash chain)"}


def yes_no(ok) -> str:
    """Return "yes" for a passed check, "NO" for a failed one."""
    return "yes" if ok else "NO"


def seed_lines(record: dict, check: dict) -> list[str]:
    """Return the revealed seed, its commitment and whether they match."""
    return [f"Seed (revealed after the draw): {record.get('seed')}",
            f"Commitment (published before the draw): {record.get('commitment')}",
            f"SHA-256(seed) equals the commitment: {yes_no(check.get('commitment_matches'))}"]


def proof_text(head: list[str], check: dict, formula: str, links: dict[str, str]) -> str:
    """Return a fairness proof: the family's lines, each chain check present, formula, verdict."""
    lines = list(head)
    lines += [f"{words}: {yes_no(check[key])}" for key, words in links.items() if key in check]
    lines += [f"Formula: {formula}", "Verified" if check.get("verified") else "NOT verified"]
    return "\n".join(lines)


def plural(n: int, one: str, many: str | None = None) -> str:
    """Return "1 hit", "2 hits", "0 misses": the count with the word in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def counts(wins: int, losses: int) -> str:
    """Return "1 hit / 0 misses"."""
    return f"{plural(wins, 'hit')} / {plural(losses, 'miss', 'misses')}"


def pct(x: float | None) -> str:
    """Return a rate as a percentage with one decimal."""
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


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


def session_counts(wins: int, losses: int, win_limit: int, what: str) -> str:
    """Return the session counters line: hits and misses on `what`, and the win target."""
    target = f" (target {plural(win_limit, 'hit')})" if win_limit else ""
    return f"Session: {counts(wins, losses)} on {what}{target}"


def live_text(report: dict, head: list[str], last: str | None, session: str | None,
              now: datetime | None, tz: str) -> str:
    """Return a live message: the family's head lines, when the draw is, the family's line on
    the last result and the session counts."""
    lines = list(head)
    if now is not None:
        lines.append(draw_line(report["game"], report["next_issue"], now, tz))
    lines += [line for line in (last, session) if line]
    lines.append(FOOTER)
    return "\n".join(lines)


def target_text(game_code: str, last: str | None, session: str, closing: str) -> str:
    """Return the message that ends a session at its win target."""
    lines = [f"{game_code}: win target reached — session ended."]
    lines += [line for line in (last, session, closing, FOOTER) if line]
    return "\n".join(lines)


def verdict_words(verdict: str | None) -> str:
    """Return the verdict as shown: edge only when the scoreboard says so."""
    v = (verdict or "").lower()
    if v == "edge":
        return "evidence of an edge (multiple-comparison corrected)"
    if v.startswith("worse"):
        return "worse than chance"
    if v == "better than chance":  # a lottery market: above chance, and still cannot pay
        return "better than chance (corrected), but no hit rate can make money in this market"
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
            f"95% CI {pct(lo)}–{pct(hi)}) — {verdict_words(row.get('verdict'))}"
            + (f"\n  {row['power']}" if row.get("power") else ""))


def stats_text(game_code: str, sections: list[tuple[str, list[tuple[str, dict]]]],
               live: str | None = None, show_all: bool = False,
               replayed: tuple[int, list] | None = None) -> tuple[str, bool]:
    """Return the scoreboard led by the predictor behind the live calls, and whether more
    predictors were left out (shown by `/stats all`); `replayed` is (draws, sections) of
    the replayed record, shown apart."""
    lines = [f"{game_code} scoreboard (all draws are random; chance is the baseline)"]
    if not sections:
        lines.append("No settled predictions yet.")
        lines += replayed_lines(replayed, live, show_all)
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
    lines += replayed_lines(replayed, live, show_all)
    more = len(ordered) - len(shown)
    if more:
        lines += ["", f"{plural(more, 'other predictor')} measured the same way: /stats all "
                      "(or the button) shows them."]
    return "\n".join(lines), bool(more)


def replayed_lines(replayed: tuple[int, list] | None, live: str | None,
                   show_all: bool) -> list[str]:
    """Return the replayed record's lines (the live predictor's, or every one), apart from live."""
    if not replayed or not replayed[1]:
        return []
    draws, sections = replayed
    picked = [s for s in sections if show_all or (live and s[0].rsplit(": ", 1)[-1] == live)]
    lines = ["", f"Replayed, not live: the predictors walked forward over {draws} back-filled "
                 "draws (each call from earlier draws only). Kept apart from the live record."]
    for title, rows in picked or sections[:1]:
        lines.append(title)
        lines += [stat_line(label, row) for label, row in rows]
    return lines


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
        lines.append(family_texts(state.game).session_line(
            state.session_wins, state.session_losses, state.win_limit))
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
    if any(get_game(code).family in RULES for code in games):
        lines.insert(-1, "/alerts on|off — alerts (long droughts, landings, proven-edge signals)")
    if any(get_game(code).family == "pick" for code in games):
        lines[-1:-1] = ["/check 5 12 23 34 45 pb 6 — check a lottery ticket against the last "
                        "draw (prize, cost, net)",
                        "/pickstats — each lottery mode against chance and a random ticket"]
    if is_admin:
        lines += ["Admin: /ai_on, /ai_off, /broadcast TEXT, /subscribers"]
    return "\n".join(lines)
