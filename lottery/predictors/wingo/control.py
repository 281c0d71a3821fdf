"""The control: uniform random picks from a seeded, counter-based generator.

Every other predictor must beat it. The picks for the t-th draw depend only on
the seed and t (how many draws were seen, never their values), so a replay
gives the same picks and no call order changes them.
"""
from __future__ import annotations

import functools
import math
from operator import itemgetter

from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL
from lottery.predictors.wingo.base import Prediction

_MASK = (1 << 64) - 1
_PERMUTATIONS = math.factorial(len(DIGITS))


def lehmer_decode(x: int, pool) -> tuple:
    """Return the permutation of `pool` that the Lehmer code x (bases n, n-1, ..., 1) names."""
    pool = list(pool)
    numbers = []
    for base in range(len(pool), 0, -1):
        x, i = divmod(x, base)
        numbers.append(pool.pop(i))
    return tuple(numbers)


# The decode in two table lookups instead of ten divmods and pops: x % 720
# (bases 10, 9, 8) fixes the first three digits and which seven remain, and
# x // 720 (< 7!) how those seven are ordered.
_HEAD_SPAN = 10 * 9 * 8


@functools.cache
def _decode_tables() -> tuple[list, list]:
    """Return the head and tail tables of the Lehmer decode (built on first use, ~15 ms)."""
    heads = []  # x % 720 -> (first three digits, the remaining seven in pool order)
    for x in range(_HEAD_SPAN):
        head = lehmer_decode(x, DIGITS)[:3]
        heads.append((head, tuple(d for d in DIGITS if d not in head)))
    tails = [itemgetter(*lehmer_decode(x, range(7)))  # x // 720 -> order of the seven
             for x in range(math.factorial(7))]
    return heads, tails


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
        self._heads, self._tails = _decode_tables()
        self.t = 0

    def update(self, digit: int) -> None:
        """Count the draw (the picks never depend on its value)."""
        self.t += 1

    def predict(self) -> Prediction:
        """Return the random picks of the next draw."""
        h = splitmix64(self._key ^ self.t)
        # Decode a uniform permutation from the word (Lehmer code); the modulo
        # bias over 2**64 / 10! is below 1e-12.
        x = h % _PERMUTATIONS  # decoded as lehmer_decode(x, DIGITS), by table
        high, low = divmod(x, _HEAD_SPAN)
        head, rest = self._heads[low]
        return Prediction(self.name, head + self._tails[high](rest),
                          BIG if (h >> 62) & 1 else SMALL, GREEN if (h >> 63) & 1 else RED)
