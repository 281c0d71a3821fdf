"""The predictors the service runs, by name. The report uses REPORT_PREDICTOR."""
from __future__ import annotations

from lottery.predictors.base import Predictor
from lottery.predictors.overdue import OverduePredictor

REPORT_PREDICTOR = "overdue"


def build_predictors(seed: int = 0) -> list[Predictor]:
    """Return fresh instances of every predictor (seeded where random)."""
    return [OverduePredictor()]
