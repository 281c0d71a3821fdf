"""WinGo's colour/size insight state of the rule learners, kept at record/resolve time.

Per game and kind (`color`, `size`): the pending prediction JSON, a counters
hash (overall and per rule, streaks and their distributions, the reset point)
and the last HISTORY_CAP resolved predictions. The recorder writes them through
this module, WinGo's `Game.insights()` hook (the
resolve script updates counters and history atomically); the web endpoints
only read them. Upstream field names are kept (SPEC 6).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import redis

from lottery import keys
from lottery.evaluation.scoring import streaks_of
from lottery.evaluation.stats import binomial_p_value, wilson_interval
from lottery.games import GAMES
from lottery.games.wingo import MARKETS, WinGo, primary_color, size
from lottery.store import as_str as _s

KINDS = ("color", "size")
KIND_OF = {"color_rules": "color", "size_rules": "size"}  # predictor -> insight kind
MARKET_OF = {"color": "color", "size": "big_small"}  # kind -> scored market
PICK_OF = {"color": "color", "size": "big_small"}  # kind -> prediction field
PROB_OF = {"color": "color_p", "size": "big_small_p"}
CHANCE = {m.name: m.chance for m in MARKETS}
HISTORY_CAP = 1000  # resolved predictions kept for the table and for recounts after a reset
HISTORY_SHOWN = 15
RULES_SHOWN = 20
_RULE_CLEAN = re.compile(r"[^A-Za-z0-9_ .-]")


def rule_of(pred: dict) -> str:
    """Return a prediction's rule name, safe to use inside a hash field name."""
    return _RULE_CLEAN.sub("", str(pred.get("rule") or "unknown"))[:32] or "unknown"


def save_next(r, game: WinGo, kind: str, issue: str, pred: dict) -> None:
    """Store the pending colour/size prediction of `issue` (what the insight shows next)."""
    confidence = pred.get(PROB_OF[kind])
    extra = pred.get("extra") or {}
    body = {"issue": issue, f"next_{kind}": pred.get(PICK_OF[kind]), "rule_name": rule_of(pred),
            "confidence": confidence, "rule_score": confidence,
            "observed_sequence": extra.get("observed_sequence", ""),
            "support": extra.get("support"),
            "last_updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    r.set(keys.insight_next(game.code, kind), json.dumps(body, separators=(",", ":")))


def history_entry(game: WinGo, kind: str, issue: str, pred: dict, digit: int, hit: bool) -> dict:
    """Return the stored history row of one resolved colour/size prediction."""
    actual = primary_color(digit) if kind == "color" else size(digit)
    return {"issue": issue, "ordinal": game.issue_ordinal(issue),
            f"predicted_{kind}": pred.get(PICK_OF[kind]), f"actual_{kind}": actual,
            "actual_number": digit, "result": "win" if hit else "loss",
            "rule_name": rule_of(pred), "confidence": pred.get(PROB_OF[kind])}


def read(r, game_code: str, kind: str) -> dict:
    """Return one kind's insights in the upstream shape (three reads, one round trip).

    As upstream, the history starts with the open issue's call (its actual
    value null), followed by the resolved calls, newest first.
    """
    pipe = r.pipeline(transaction=False)
    pipe.get(keys.insight_next(game_code, kind))
    pipe.hgetall(keys.insight_stats(game_code, kind))
    pipe.lrange(keys.insight_history(game_code, kind), 0, HISTORY_SHOWN - 1)
    raw_next, raw_stats, raw_history = pipe.execute()
    stats = {_s(k): _s(v) for k, v in raw_stats.items()}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    game = GAMES.get(game_code)
    pending = json.loads(raw_next) if raw_next else None
    history = []
    for item in raw_history:
        row = json.loads(item)
        row.pop("ordinal", None)
        row.setdefault("prediction_time", _published(game, row["issue"]))
        history.append(row)
    if pending is not None:
        pending.update(_upstream_fields(pending, stats))
        if not history or history[0]["issue"] != pending["issue"]:
            history = [{"issue": pending["issue"], f"predicted_{kind}": pending.get(f"next_{kind}"),
                        f"actual_{kind}": None, "actual_number": None, "result": None,
                        "prediction_time": _published(game, pending["issue"])
                        or pending.get("last_updated"),
                        "rule_name": pending.get("rule_name"),
                        "confidence": pending.get("confidence")}, *history][:HISTORY_SHOWN]
    return {f"{kind}_prediction": pending,
            f"{kind}_accuracy": {**_accuracy(kind, stats), "timestamp": now},
            f"{kind}_streaks": {**_streaks(stats), "timestamp": now},
            f"{kind}_prediction_history": history}


def _upstream_fields(pending: dict, stats: dict) -> dict:
    """Return upstream's score, prediction_source and available_rules for a pending call."""
    confidence = pending.get("confidence")
    # score: the share (in %) of past followers of the matched pattern that the call names,
    # the learner's own frequency; 50 (the chance rate) when it has none.
    score = round(100.0 * confidence, 2) if isinstance(confidence, (int, float)) else 50.0
    rules = sum(1 for field in stats if field.startswith("rule:") and field.endswith(":t"))
    return {"score": score, "prediction_source": "pattern_rules", "available_rules": rules}


def _published(game, issue: str) -> str | None:
    """Return when a call for `issue` was published: the start of the issue's period."""
    if game is None:
        return None
    try:
        return game.period_start(issue).isoformat()
    except ValueError:
        return None


def _rate(correct: int, total: int) -> dict:
    lo, hi = wilson_interval(correct, total)
    return {"total": total, "correct": correct,
            "accuracy_pct": round(100 * correct / total, 2) if total else 0.0,
            "ci95_pct": [round(100 * lo, 2), round(100 * hi, 2)]}


def _accuracy(kind: str, stats: dict) -> dict:
    chance = CHANCE[MARKET_OF[kind]]
    total, correct = int(stats.get("total", 0)), int(stats.get("correct", 0))
    rules = {}
    for field, value in stats.items():
        if field.startswith("rule:") and field.endswith(":t"):
            name = field[5:-2]
            rules[name] = _rate(int(stats.get(f"rule:{name}:c", 0)), int(value))
    top = sorted(rules.items(), key=lambda kv: (-kv[1]["total"], kv[0]))[:RULES_SHOWN]
    overall = _rate(correct, total)
    return {"total_predictions": total, "correct_predictions": correct,
            "accuracy_percentage": overall["accuracy_pct"],
            "chance_percentage": round(100 * chance, 2), "ci95_pct": overall["ci95_pct"],
            "p_value": binomial_p_value(correct, total, chance),
            "per_rule": dict(top), "reset_from_issue": stats.get("since_issue"),
            "note": "Fair draws cannot be predicted: compare the accuracy and its 95% "
                    "interval with the chance rate before reading anything into it."}


def _streaks(stats: dict) -> dict:
    cur = int(stats.get("cur", 0))
    wins = _distribution(stats, "dw:")
    losses = _distribution(stats, "dl:")
    # Like upstream, the distributions also count the streak still running.
    if cur > 0:
        wins[str(cur)] = wins.get(str(cur), 0) + 1
    elif cur < 0:
        losses[str(-cur)] = losses.get(str(-cur), 0) + 1
    return {"current_win_streak": max(cur, 0), "current_lose_streak": max(-cur, 0),
            "max_win_streak": int(stats.get("bw", 0)), "max_lose_streak": int(stats.get("bl", 0)),
            "win_streak_distribution": _sorted(wins), "lose_streak_distribution": _sorted(losses),
            "reset_from_issue": stats.get("since_issue")}


def _distribution(stats: dict, prefix: str) -> dict[str, int]:
    return {f[len(prefix):]: int(v) for f, v in stats.items() if f.startswith(prefix)}


def _sorted(dist: dict[str, int]) -> dict[str, int]:
    return {k: dist[k] for k in sorted(dist, key=int)}


def pending_issue(r, game_code: str) -> str | None:
    """Return the issue of the pending colour prediction, or None."""
    raw = r.get(keys.insight_next(game_code, "color"))
    return json.loads(raw).get("issue") if raw else None


def reset(r, game: WinGo, issue: str) -> dict[str, int]:
    """Restart colour and size counting from `issue`; recount kept history; return counts per kind."""
    ordinal = game.issue_ordinal(issue)  # ValueError for a malformed issue
    recounted = {}
    for kind in KINDS:
        stats_key = keys.insight_stats(game.code, kind)
        history_key = keys.insight_history(game.code, kind)
        with r.pipeline() as pipe:
            while True:
                try:
                    # A resolve landing between the read and the write changes the
                    # history: the transaction then fails and is retried.
                    pipe.watch(history_key)
                    rows = [json.loads(x) for x in pipe.lrange(history_key, 0, -1)]
                    kept = [row for row in reversed(rows) if row.get("ordinal", -1) >= ordinal]
                    pipe.multi()
                    pipe.delete(stats_key)
                    pipe.hset(stats_key, mapping=_recount(kept, issue, ordinal))
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        recounted[kind] = len(kept)
    return recounted


def _recount(rows: list[dict], issue: str, ordinal: int) -> dict:
    """Return the counters hash of resolved rows (oldest first) counted from a reset point."""
    out: dict = {"since_ord": ordinal, "since_issue": issue, "total": len(rows)}
    hits = [row["result"] == "win" for row in rows]
    out["correct"] = sum(hits)
    for row, hit in zip(rows, hits):
        name = row.get("rule_name") or "unknown"
        out[f"rule:{name}:t"] = out.get(f"rule:{name}:t", 0) + 1
        out[f"rule:{name}:c"] = out.get(f"rule:{name}:c", 0) + int(hit)
    st = streaks_of(hits)
    out["cur"] = st.current if st.current_kind == "win" else -st.current
    out["bw"], out["bl"] = st.longest_win, st.longest_loss
    out.update({f"dw:{k}": v for k, v in st.win_distribution.items()})
    out.update({f"dl:{k}": v for k, v in st.loss_distribution.items()})
    return out
