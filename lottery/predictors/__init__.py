"""Predictors: the interface in `base`, one sub-package of predictors per game family.

A game names its predictor set (`Game.predictors_path`); `predictor_set(game)`
returns it.
"""
from lottery.predictors.base import Prediction, Predictor, PredictorSet, warm


def predictor_set(game) -> PredictorSet:
    """Return the predictor set of a game's family."""
    return game.predictors()


__all__ = ["Prediction", "Predictor", "PredictorSet", "predictor_set", "warm"]
