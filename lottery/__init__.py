"""Lottery prediction service: draws, predictions, honest evaluation."""
__version__ = "0.1.0"
