"""WinGo's digit predictors: each one module behind the interface in `lottery.predictors.base`."""
from lottery.predictors.wingo.registry import PREDICTOR_SET

__all__ = ["PREDICTOR_SET"]
