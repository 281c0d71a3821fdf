"""Crash's side of the AI worker: the prompt, a strict answer parser, scoring and the record.

`Crash.ai_path` names `ADAPTER`. The model is shown the recent multipliers and
the fair odds (P(X >= m) = 0.99 / m) and must answer one JSON object of
probabilities, `{"reach": {"1.5x": p, "2x": p, "3x": p, "5x": p, "10x": p,
"100x": p}}`: every target, each a probability, never rising with the target.
Anything else (prose, a missing or unknown target, a number outside 0-1,
incoherent odds) is rejected and recorded as a failed answer with the reason;
nothing is guessed. A valid answer is scored like any crash predictor's
reach probabilities (the scoreboard row `ai`), next to the null's log loss.
Crash rounds are driven by the feed, not a clock: the AI has BUDGET_SECONDS
(the betting phase) and an answer that arrives after the round is stored is
not a prediction.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from lottery.evaluation.sequential import TOO_FEW
from lottery.evaluation.stats import rate_summary
from lottery.games.base import log_loss_micro
from lottery.games.crash import MARKETS, REACH_MARKETS, Crash, target_cents, to_cents

HISTORY = 50  # recent multipliers shown to the model (oldest first)
BUDGET_SECONDS = 5.0  # the betting phase of a round: the time an answer can still count
CHANCE = {m.name: m.chance for m in MARKETS if m.name in REACH_MARKETS}
LABEL = {m: f"{c / 100:g}x" for m, c in REACH_MARKETS.items()}  # reach_2x -> 2x
SYSTEM = ("You estimate the next round of a crash game (Aviator / bustabit style). Rounds are "
          "provably fair: the multiplier does not depend on earlier rounds. Give honest "
          "probabilities. Reply with one JSON object and nothing else.")


class InvalidAnswer(ValueError):
    """The answer is not a valid crash prediction; the message says why."""


@dataclass(frozen=True)
class Answer:
    """A validated AI answer: P(the round reaches m) for every target of the grid."""

    reach: dict[str, float]


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)


def parse_answer(text: str | None) -> Answer:
    """Return the answer in `text` (one JSON object, maybe fenced), or raise InvalidAnswer."""
    if text is None or not str(text).strip():
        raise InvalidAnswer("empty answer")
    body = str(text).strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidAnswer(f"not a JSON object ({_excerpt(text)})") from None
    if not isinstance(obj, dict) or set(obj) != {"reach"} or not isinstance(obj["reach"], dict):
        raise InvalidAnswer('the answer must be exactly {"reach": {target: probability}}')
    reach: dict[str, float] = {}
    for key, raw in obj["reach"].items():
        try:
            market = _market(key)
        except ValueError:
            raise InvalidAnswer(f"unknown target {_excerpt(key)}; targets: "
                                f"{', '.join(LABEL.values())}") from None
        if market in reach:
            raise InvalidAnswer(f"target {LABEL[market]} given twice")
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) \
                or not 0.0 <= raw <= 1.0:
            raise InvalidAnswer(f"{LABEL[market]}: a probability is a number 0-1, "
                                f"got {_excerpt(raw)}")
        reach[market] = float(raw)
    missing = [LABEL[m] for m in REACH_MARKETS if m not in reach]
    if missing:
        raise InvalidAnswer(f"missing target(s) {', '.join(missing)}")
    ordered = [reach[m] for m in REACH_MARKETS]
    if any(b > a for a, b in zip(ordered, ordered[1:])):
        raise InvalidAnswer("incoherent: P(X >= m) cannot rise with the target m")
    return Answer({m: reach[m] for m in REACH_MARKETS})


def _market(key) -> str:
    if not isinstance(key, str):
        raise ValueError(key)
    market = f"reach_{target_cents(key) / 100:g}x"
    if market not in REACH_MARKETS:
        raise ValueError(key)
    return market


def _excerpt(value, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[:limit] + "..."


def build_messages(game: Crash, issue: str, multipliers: list[float]) -> list[dict]:
    """Return the chat messages asking for round `issue`'s odds given recent multipliers."""
    recent = multipliers[-HISTORY:]
    history = ", ".join(f"{x:.2f}" for x in recent) if recent else "(none yet)"
    fair = ", ".join(f"{LABEL[m]} {100 * p:.1f}%" for m, p in CHANCE.items())
    template = ", ".join(f'"{LABEL[m]}": <probability>' for m in REACH_MARKETS)
    user = (f"Game {game.code}: each round ends at a multiplier X >= 1.00. Under the fair "
            f"formula P(X >= m) = 0.99 / m whatever came before: {fair}.\n"
            f"The last {len(recent)} multipliers, oldest first: {history}\n"
            f"For round {issue}, give P(X >= m) for each target. Answer with JSON only, "
            f'exactly: {{"reach": {{{template}}}}}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


class CrashAI:
    """The AI adapter of crash games."""

    history = HISTORY
    budget_seconds = BUDGET_SECONDS
    InvalidAnswer = InvalidAnswer

    def build_messages(self, game: Crash, issue: str, outcomes: list[float]) -> list[dict]:
        """Return the chat messages asking for the odds of `issue`."""
        return build_messages(game, issue, outcomes)

    def parse(self, text: str | None) -> Answer:
        """Return the validated answer in `text`, or raise InvalidAnswer."""
        return parse_answer(text)

    def entry_fields(self, answer: Answer | None) -> dict:
        """Return the stored entry's prediction fields (None for a failed call)."""
        return {"reach_p": dict(answer.reach) if answer else None}

    def prediction(self, answer: Answer) -> dict:
        """Return the answer as a prediction for the scoreboard."""
        return {"reach_p": dict(answer.reach)}

    def describe(self, answer: Answer) -> str:
        """Return the answer in a few words, for the log."""
        return ", ".join(f"{LABEL[m]} {100 * p:.0f}%" for m, p in answer.reach.items()
                         if m in ("reach_2x", "reach_10x"))

    def score_entry(self, game: Crash, entry: dict, multiplier: float) -> tuple[dict, dict]:
        """Return (entry updates, counter increments) of a resolved entry."""
        x = to_cents(multiplier)
        hits = {m: x >= c for m, c in REACH_MARKETS.items()}
        counts = {"total": 1}
        for m, p in (entry.get("reach_p") or {}).items():
            if m not in REACH_MARKETS:
                continue
            hit = hits[m]
            counts[f"hits:{m}"] = int(hit)
            counts[f"ll:{m}"] = log_loss_micro(p if hit else 1 - p)
            counts[f"ll0:{m}"] = log_loss_micro(CHANCE[m] if hit else 1 - CHANCE[m])
        return {"result": game.describe(multiplier), "hits": hits}, counts

    def accuracy(self, game: Crash, c: dict, verdicts: dict | None = None) -> dict:
        """Return the AI's record per target: hit rate against 0.99/m, log loss against the null."""
        total = c.get("total", 0)
        markets = {}
        for m in REACH_MARKETS:
            row = {**rate_summary(c.get(f"hits:{m}", 0), total, CHANCE[m]),
                   "log_loss": c.get(f"ll:{m}", 0) / 1e6 / total if total else None,
                   "null_log_loss": c.get(f"ll0:{m}", 0) / 1e6 / total if total else None}
            judged = (verdicts or {}).get(m)
            row["verdict"] = judged["verdict"] if judged else TOO_FEW
            if judged and "verdict_text" in judged:
                row["verdict_text"] = judged["verdict_text"]
            markets[m] = row
        return {"game": game.code, "n": total, "total_predictions": total, "markets": markets,
                "note": "Crash rounds are provably fair: the AI's odds are scored on every round "
                        "against 0.99/m (lower log loss than the null would be an edge; the "
                        "scoreboard's verdict says whether there is one). Only valid answers "
                        "given before the round count."}


ADAPTER = CrashAI()
