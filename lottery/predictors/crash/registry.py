"""Crash predictors by name; the report uses REPORT_PREDICTOR."""
from __future__ import annotations

from lottery.predictors.base import Predictor, PredictorSet, build_named
from lottery.predictors.crash.base import BatchRunner
from lottery.predictors.crash.engine import EnginePredictor
from lottery.predictors.crash.ensemble import EnsemblePredictor
from lottery.predictors.crash.frequency import FrequencyPredictor
from lottery.predictors.crash.gbm import AVAILABLE as GBM_AVAILABLE
from lottery.predictors.crash.null import NullPredictor

REPORT_PREDICTOR = "ensemble"
# The gradient-boosted model needs the optional extra (requirements-ml.txt).
ML_NAMES = ("gbm",) if GBM_AVAILABLE else ()
PREDICTOR_NAMES = ("null", "frequency", "engine") + ML_NAMES + ("ensemble",)
ENSEMBLE_MEMBERS = ("null", "frequency", "engine")
FACTORIES = {"null": NullPredictor, "frequency": FrequencyPredictor, "engine": EnginePredictor}
if GBM_AVAILABLE:
    from lottery.predictors.crash.gbm import GbmPredictor

    FACTORIES["gbm"] = GbmPredictor


def build_predictors(seed: int = 0, names=None, share_members: bool = False) -> list[Predictor]:
    """Return fresh instances of every crash predictor (or of `names`).

    `share_members` is the backtest's build: every predictor comes wrapped in a
    BatchRunner, whose predictions the crash backtest scorer computes a chunk at a
    time (vectorised; the same figures as predicting round by round, a test pins it).
    """
    built = build_named(FACTORIES, PREDICTOR_NAMES, names,
                        ("ensemble", ENSEMBLE_MEMBERS, EnsemblePredictor), share_members)
    return [BatchRunner(p) for p in built] if share_members else built


PREDICTOR_SET = PredictorSet(names=PREDICTOR_NAMES, build=build_predictors,
                             report_predictor=REPORT_PREDICTOR, external=("ai",),
                             costs={"ensemble": 40, "engine": 25, "frequency": 8, "null": 3,
                                    "gbm": 40})
