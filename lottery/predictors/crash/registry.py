"""Crash predictors by name; the report uses REPORT_PREDICTOR."""
from __future__ import annotations

from lottery.predictors.base import Predictor, PredictorSet, build_named
from lottery.predictors.crash.engine import EnginePredictor
from lottery.predictors.crash.ensemble import EnsemblePredictor
from lottery.predictors.crash.frequency import FrequencyPredictor
from lottery.predictors.crash.null import NullPredictor

REPORT_PREDICTOR = "ensemble"
PREDICTOR_NAMES = ("null", "frequency", "engine", "ensemble")
ENSEMBLE_MEMBERS = ("null", "frequency", "engine")
FACTORIES = {"null": NullPredictor, "frequency": FrequencyPredictor, "engine": EnginePredictor}


def build_predictors(seed: int = 0, names=None, share_members: bool = False) -> list[Predictor]:
    """Return fresh instances of every crash predictor (or of `names`)."""
    return build_named(FACTORIES, PREDICTOR_NAMES, names,
                       ("ensemble", ENSEMBLE_MEMBERS, EnsemblePredictor), share_members)


PREDICTOR_SET = PredictorSet(names=PREDICTOR_NAMES, build=build_predictors,
                             report_predictor=REPORT_PREDICTOR, external=("ai",),
                             costs={"ensemble": 40, "engine": 25, "frequency": 8, "null": 3})
