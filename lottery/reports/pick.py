"""Pick-lottery report: the next draw, each mode's committed ticket with its exact odds, recent draws.

No "confidence": a ticket shows its exact chances (every ticket has the same
ones on a fair draw). Every mode's record lives on the scoreboard
(`/api/accuracy`), next to chance and the random baseline.
"""
from __future__ import annotations

from datetime import datetime

from lottery.games.pick import PickLottery, any_prize_probability, mean_white_matches
from lottery.store import draws, scores

DISCLAIMER = ("A fair lottery draw cannot be predicted: every ticket, these included, has the "
              "same odds. The tickets are measured against a random ticket on every draw "
              "(see /api/accuracy). Nothing here is betting advice.")


def odds_block(game: PickLottery) -> dict:
    """Return the exact odds every ticket of the current era has."""
    era = game.current_era
    return {"matrix": era.matrix, "price": era.price, "currency": game.currency,
            "jackpot_one_in": era.combinations,
            "any_prize_one_in": float(1 / any_prize_probability(era)),
            "mean_white_matches": float(mean_white_matches(era)),
            "markets": [{"market": m.name, "label": m.label, "chance": m.chance,
                         "pays": m.pays} for m in game.markets]}


class PickReport:
    """The report builder PickLottery names in `report_path`."""

    window = 200  # recent outcomes kept in memory for the report

    def result_of(self, game: PickLottery, outcome) -> dict:
        return game.describe(outcome)

    def on_resolved(self, r, game: PickLottery, prediction: dict, outcome) -> None:
        pass  # the scoreboard counts every mode (lottery.store.scores)

    def build(self, r, game: PickLottery, *, next_issue: str, now: datetime, prediction,
              outcomes, ai_enabled: bool, commitment: str | None) -> dict:
        tickets = {}
        for mode in game.predictors().names:
            stored = scores.get_prediction(r, game.code, next_issue, mode)
            if stored is not None:
                tickets[mode] = {"whites": stored.get("whites"), "bonus": stored.get("bonus")}
        draw_at = game.draw_time(next_issue)
        return {
            "game": game.code, "family": game.family, "next_issue": next_issue,
            "draw_at": draw_at.isoformat(),
            "seconds_to_draw": max(0.0, (draw_at - now).total_seconds()),
            "prediction": {"mode": prediction.predictor, **prediction.to_dict()},
            "tickets": tickets, "odds": odds_block(game),
            "recent_results": [{"issue": d["issue"], **game.describe(game.decode_outcome(d)),
                                "drawn_at": d.get("drawn_at")}
                               for d in draws.recent_draws(r, game.code, 10)],
            "fairness": {"commitment": commitment},
            "scoreboard": f"/api/accuracy?game={game.code}",
            "disclaimer": DISCLAIMER, "timestamp": now.isoformat(), "ai_enabled": False,
        }


REPORT = PickReport()
