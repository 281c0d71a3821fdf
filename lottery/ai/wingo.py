"""WinGo's side of the AI worker: the prompt, the answer parser, scoring and the upstream record.

`WinGo.ai_path` names `ADAPTER`; the AI worker and its store talk to it only
through these methods, so other families can bring their own.
"""
from __future__ import annotations

from lottery.ai import wingo_prompt
from lottery.ai.wingo_parse import Answer, InvalidAnswer, parse_answer
from lottery.evaluation.sequential import TOO_FEW
from lottery.evaluation.stats import rate_summary
from lottery.games.wingo import BIG, MARKETS, WinGo, colors, primary_color, size

# The markets a one-digit AI answer takes part in (no top-3), in display order.
AI_MARKETS = ("big_small", "number", "color")
_MARKET = {m.name: m for m in MARKETS}


class WinGoAI:
    """The AI adapter of WinGo (upstream field names)."""

    history = wingo_prompt.HISTORY_DIGITS
    InvalidAnswer = InvalidAnswer

    def build_messages(self, game: WinGo, issue: str, outcomes: list[int]) -> list[dict]:
        """Return the chat messages asking for the digit of `issue`."""
        return wingo_prompt.build_messages(game, issue, outcomes)

    def parse(self, text: str | None) -> Answer:
        """Return the validated answer in `text`, or raise InvalidAnswer."""
        return parse_answer(text)

    def entry_fields(self, answer: Answer | None) -> dict:
        """Return the stored entry's prediction fields (all None for a failed call)."""
        if answer is None:
            return {"number": None, "size": None, "color": None, "confidence": None,
                    "ai_prediction": None, "ai_predicted_category": None}
        out = {"number": answer.number, "size": answer.size, "color": answer.color,
               "confidence": answer.confidence, "ai_prediction": answer.number,
               "ai_predicted_category": answer.size.lower()}
        if answer.color_said and answer.color_said != answer.color:
            out["color_said"] = answer.color_said
        return out

    def prediction(self, answer: Answer) -> dict:
        """Return the answer as a prediction for the scoreboard."""
        return {"numbers": [answer.number], "big_small": answer.size, "color": answer.color,
                "confidence": answer.confidence}

    def describe(self, answer: Answer) -> str:
        """Return the answer in a few words, for the log."""
        return f"{answer.number} ({answer.size}, {answer.color})"

    def score_entry(self, game: WinGo, entry: dict, digit: int) -> tuple[dict, dict]:
        """Return (entry updates, counter increments) of a resolved entry."""
        outcome = size(digit)
        hits = {"number": entry["number"] == digit, "big_small": entry["size"] == outcome,
                "color": entry["color"] == primary_color(digit)}
        updates = {"result": {"number": digit, "size": outcome, "color": primary_color(digit),
                              "colors": list(colors(digit))},
                   "hits": hits, "correct": hits["big_small"]}
        side = "big" if entry["size"] == BIG else "small"
        counts = {"total": 1, f"{side}_total": 1, "correct": int(hits["big_small"]),
                  f"{side}_correct": int(hits["big_small"]), "number_hits": int(hits["number"]),
                  "color_hits": int(hits["color"])}
        return updates, counts

    def accuracy(self, game: WinGo, c: dict, verdicts: dict | None = None) -> dict:
        """Return the upstream accuracy record plus n, chance, 95% interval and p-values.

        `verdicts` (market -> the scoreboard's `ai` row) give each market its verdict:
        one rule everywhere (anytime-valid, corrected across the whole board).
        """
        total, correct = c.get("total", 0), c.get("correct", 0)
        hits = {"big_small": correct, "number": c.get("number_hits", 0),
                "color": c.get("color_hits", 0)}
        markets = {m: {**rate_summary(hits[m], total, _MARKET[m].chance),
                       "break_even": _MARKET[m].break_even} for m in AI_MARKETS}
        for name, m in markets.items():
            row = (verdicts or {}).get(name)
            if row is None:  # not on the scoreboard yet: nothing judged
                m["verdict"] = TOO_FEW
                continue
            m["verdict"] = row["verdict"]
            for key in ("verdict_text", "anytime_ci", "detectable_edge", "power"):
                if key in row:
                    m[key] = row[key]
        return {
            "game": game.code,
            "total_predictions": total,
            "correct_predictions": correct,
            "overall_accuracy_percentage": _pct(correct, total),
            "big_predictions": _side(c, "big"),
            "small_predictions": _side(c, "small"),
            "n": total,
            "chance_rate": _MARKET["big_small"].chance,
            "ci95": markets["big_small"]["ci95"],
            "p_value": markets["big_small"]["p_value"],
            "verdict": markets["big_small"]["verdict"],
            "markets": markets,
            "note": "Fair draws cannot be predicted: compare each rate with its chance rate and "
                    "95% interval. Only valid AI answers for unsettled issues are counted.",
        }


def _side(c: dict, side: str) -> dict:
    total, correct = c.get(f"{side}_total", 0), c.get(f"{side}_correct", 0)
    return {"total": total, "correct": correct, "accuracy_percentage": _pct(correct, total)}


def _pct(k: int, n: int) -> float:
    return round(100.0 * k / n, 2) if n else 0.0


ADAPTER = WinGoAI()
