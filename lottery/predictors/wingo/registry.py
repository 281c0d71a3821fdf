"""WinGo's predictors by name; the report uses REPORT_PREDICTOR."""
from __future__ import annotations

from lottery.predictors.base import Predictor, PredictorSet, build_named
from lottery.predictors.wingo.control import RandomPredictor
from lottery.predictors.wingo.ensemble import EnsemblePredictor
from lottery.predictors.wingo.markov import MarkovPredictor
from lottery.predictors.wingo.overdue import OverduePredictor
from lottery.predictors.wingo.rules import color_rules, size_rules
from lottery.predictors.wingo.sequence import SequencePredictor

REPORT_PREDICTOR = "ensemble"
# Names in display order; "ai" is recorded by the AI worker, not built here.
PREDICTOR_NAMES = ("overdue", "sequence", "color_rules", "size_rules", "markov", "random",
                   "ensemble")
EXTERNAL_PREDICTORS = ("ai",)
ENSEMBLE_MEMBERS = ("overdue", "sequence", "markov")


def build_predictors(seed: int = 0, names=None, share_members: bool = False) -> list[Predictor]:
    """Return fresh instances of every predictor (or of `names`), seeded where random.

    With `share_members` the ensemble reuses the overdue, sequence and markov
    instances in the list instead of running copies: only for a caller that asks
    every predictor to predict before feeding any of them a digit (the backtest).
    """
    factories = {
        "overdue": OverduePredictor,
        "sequence": SequencePredictor,
        "color_rules": color_rules,
        "size_rules": size_rules,
        "markov": MarkovPredictor,
        "random": lambda: RandomPredictor(seed=seed),
    }
    return build_named(factories, PREDICTOR_NAMES, names,
                       ("ensemble", ENSEMBLE_MEMBERS, EnsemblePredictor), share_members)


# Microseconds per draw, measured (bench/backtest.py), to balance the backtest's process
# split. The ensemble's cost is with private members (it shares them only when its
# members run in the same process).
COSTS = {"ensemble": 35, "overdue": 15, "sequence": 10, "color_rules": 8, "size_rules": 8,
         "markov": 7, "random": 5}

PREDICTOR_SET = PredictorSet(names=PREDICTOR_NAMES, build=build_predictors,
                             report_predictor=REPORT_PREDICTOR, external=EXTERNAL_PREDICTORS,
                             costs=COSTS)
