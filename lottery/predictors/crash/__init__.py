"""Crash predictors: each says how likely the next round is to reach each target, and how
long the current 10x streak will run, as probabilities scored against the fair null."""
from lottery.predictors.crash.registry import PREDICTOR_SET

__all__ = ["PREDICTOR_SET"]
