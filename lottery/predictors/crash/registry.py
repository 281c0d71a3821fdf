"""Crash predictors by name; the report uses REPORT_PREDICTOR."""
from __future__ import annotations

from lottery.predictors.base import Predictor, PredictorSet
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
    wanted = PREDICTOR_NAMES if names is None else tuple(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in PREDICTOR_NAMES]
    if unknown:
        raise KeyError(f"unknown predictor(s) {', '.join(unknown)}; "
                       f"known: {', '.join(PREDICTOR_NAMES)}")
    built = {n: FACTORIES[n]() for n in wanted if n != "ensemble"}
    if "ensemble" in wanted:
        shared = share_members and all(n in built for n in ENSEMBLE_MEMBERS)
        built["ensemble"] = (
            EnsemblePredictor([built[n] for n in ENSEMBLE_MEMBERS], shared=True) if shared
            else EnsemblePredictor([FACTORIES[n]() for n in ENSEMBLE_MEMBERS]))
    return [built[n] for n in wanted]


PREDICTOR_SET = PredictorSet(names=PREDICTOR_NAMES, build=build_predictors,
                             report_predictor=REPORT_PREDICTOR, external=("ai",),
                             costs={"ensemble": 40, "engine": 25, "frequency": 8, "null": 3})
