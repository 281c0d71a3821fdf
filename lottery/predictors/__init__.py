"""Predictors: each is one module behind the interface in `base`."""
from lottery.predictors.base import MARKETS, Prediction, Predictor, from_probs, hits, warm

__all__ = ["MARKETS", "Prediction", "Predictor", "from_probs", "hits", "warm"]
