"""The control: uniform random picks from a seeded, counter-based generator.

Every other predictor must beat it. The picks for the t-th draw depend only on
the seed and t (how many draws were seen, never their values), so a replay
gives the same picks and no call order changes them.
"""
from __future__ import annotations

import math

from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL
from lottery.predictors.base import Prediction

_MASK = (1 << 64) - 1
_PERMUTATIONS = math.factorial(len(DIGITS))


def splitmix64(x: int) -> int:
    """Return the SplitMix64 hash of a 64-bit integer (a well-mixed pseudo-random word)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class RandomPredictor:
    """Uniformly random ranking of the digits and random size and colour."""

    probabilistic = False

    def __init__(self, seed: int = 0, name: str = "random"):
        self.name = name
        self.seed = seed
        self._key = splitmix64(seed & _MASK)
        self.t = 0

    def update(self, digit: int) -> None:
        """Count the draw (the picks never depend on its value)."""
        self.t += 1

    def predict(self) -> Prediction:
        """Return the random picks of the next draw."""
        h = splitmix64(self._key ^ self.t)
        # Decode a uniform permutation from the word (Lehmer code); the modulo
        # bias over 2**64 / 10! is below 1e-12.
        x = h % _PERMUTATIONS
        pool = list(DIGITS)
        numbers = []
        for base in range(len(pool), 0, -1):
            x, i = divmod(x, base)
            numbers.append(pool.pop(i))
        return Prediction(self.name, tuple(numbers), BIG if (h >> 62) & 1 else SMALL,
                          GREEN if (h >> 63) & 1 else RED)
