"""Pick-lottery ticket modes: walk-forward and seeded, one ticket per draw each.

Every mode sees only the draws before the one it predicts (`predict()` comes
before `update(outcome)`), counts the current era only (an older matrix has
other ball ranges), and draws its ties and random parts from a generator
seeded by (seed, mode, draws seen), so a ticket is reproducible from the
history alone. None of them can beat a fair draw; the random baseline is
always shown next to them.
"""
from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lottery.games.pick import Era, PickLottery
from lottery.predictors.base import PredictorSet

# The ML modes need the optional extra (requirements-ml.txt); without it they are not offered.
ML_AVAILABLE = importlib.util.find_spec("sklearn") is not None
ML_MODES = ("random_forest", "gradient_boosting") if ML_AVAILABLE else ()
MODES = ("random", "frequency", "hybrid") + ML_MODES
REPORT_MODE = "hybrid"
# The original's mode names mapped to ours ("v1" was its frequency/statistical strategy,
# "v2" its gradient-boosted model).
ALIASES = {"v1": "frequency", "v2": "gradient_boosting"}


@dataclass
class Ticket:
    """One committed ticket of a mode: sorted whites and bonus balls."""

    predictor: str
    whites: tuple[int, ...]
    bonus: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"predictor": self.predictor, "mode": self.predictor,
                "whites": list(self.whites), "bonus": list(self.bonus)}


class _Mode:
    """Shared bookkeeping: current-era counts, last-seen draw index, a seeded generator."""

    name = ""
    probabilistic = False

    def __init__(self, game: PickLottery, seed: int = 0):
        self.game, self.era, self.seed = game, game.current_era, seed
        self.seen = 0  # current-era draws fed
        self.white_counts = [0] * (self.era.white_max + 1)
        self.bonus_counts = [0] * (self.era.bonus_max + 1)
        self.white_last = [-1] * (self.era.white_max + 1)
        self.bonus_last = [-1] * (self.era.bonus_max + 1)

    def update(self, outcome: Any) -> None:
        era = getattr(outcome, "era", None)
        if era is not None and era != self.era.start:
            return  # another matrix: its balls are not this era's balls
        whites, bonus = outcome
        if len(whites) != self.era.whites or max(whites) > self.era.white_max:
            return  # an unlabelled outcome of another matrix
        for w in whites:
            self.white_counts[w] += 1
            self.white_last[w] = self.seen
        for b in bonus:
            self.bonus_counts[b] += 1
            self.bonus_last[b] = self.seen
        self.seen += 1

    def rng(self) -> random.Random:
        return random.Random(f"{self.seed}:{self.game.code}:{self.name}:{self.seen}")

    def ticket(self, whites, bonus) -> Ticket:
        return Ticket(self.name, tuple(sorted(whites)), tuple(sorted(bonus)))

    def weights(self) -> tuple[list[float], list[float]]:
        """Return the mode's weights for whites and bonus balls (index 0 unused)."""
        return [1.0] * (self.era.white_max + 1), [1.0] * (self.era.bonus_max + 1)

    def tickets(self, n: int, seed: int = 0) -> list[Ticket]:
        """Return `n` tickets drawn by the mode's weights (a batch), reproducible from `seed`."""
        rng = random.Random(f"{seed}:{self.game.code}:{self.name}:{self.seen}:batch")
        white_w, bonus_w = self.weights()
        return [self.ticket(_weighted_sample(white_w, self.era.whites, rng),
                            _weighted_sample(bonus_w, self.era.bonus, rng)) for _ in range(n)]


def _weighted_sample(weights: list[float], count: int, rng: random.Random) -> list[int]:
    """Return `count` distinct balls (1..) drawn one by one with chance proportional to weight."""
    pool = list(range(1, len(weights)))
    w = [weights[b] for b in pool]
    picked = []
    for _ in range(count):
        i = rng.choices(range(len(pool)), weights=w)[0]
        picked.append(pool.pop(i))
        w.pop(i)
    return picked


def _top(scores: list[float], count: int, rng: random.Random) -> list[int]:
    """Return the `count` balls (1..) with the highest scores, ties broken at random."""
    balls = list(range(1, len(scores)))
    rng.shuffle(balls)
    return sorted(balls, key=lambda b: -scores[b])[:count]


class RandomMode(_Mode):
    """The baseline: a uniformly random ticket (what any ticket is worth on a fair draw)."""

    name = "random"

    def predict(self) -> Ticket:
        rng, era = self.rng(), self.era
        return self.ticket(rng.sample(range(1, era.white_max + 1), era.whites),
                           rng.sample(range(1, era.bonus_max + 1), era.bonus))


class FrequencyMode(_Mode):
    """v1: the most often drawn ("hot") whites and bonus balls of the era so far."""

    name = "frequency"

    def predict(self) -> Ticket:
        rng = self.rng()
        return self.ticket(_top(self.white_counts, self.era.whites, rng),
                           _top(self.bonus_counts, self.era.bonus, rng))


    def weights(self):
        return ([c + 1.0 for c in self.white_counts], [c + 1.0 for c in self.bonus_counts])


class HybridMode(_Mode):
    """Half "hot" whites, the rest the longest unseen ("overdue"); the most overdue bonus."""

    name = "hybrid"

    def predict(self) -> Ticket:
        rng, era = self.rng(), self.era
        hot = _top(self.white_counts, (era.whites + 1) // 2, rng)
        gaps = [self.seen - last for last in self.white_last]
        for b in hot:
            gaps[b] = -1
        gaps[0] = -2
        cold = _top(gaps, era.whites - len(hot), rng)
        bonus_gaps = [self.seen - last for last in self.bonus_last]
        bonus_gaps[0] = -2
        return self.ticket(hot + cold, _top(bonus_gaps, era.bonus, rng))

    def weights(self):
        # Half frequency, half draws since last seen.
        whites = [c + 1.0 + (self.seen - last) * self.era.whites / self.era.white_max
                  for c, last in zip(self.white_counts, self.white_last)]
        bonus = [c + 1.0 + (self.seen - last) * self.era.bonus / self.era.bonus_max
                 for c, last in zip(self.bonus_counts, self.bonus_last)]
        return whites, bonus


FACTORIES = {"random": RandomMode, "frequency": FrequencyMode, "hybrid": HybridMode}
if ML_AVAILABLE:
    from lottery.predictors.pick.ml import GradientBoostingMode, RandomForestMode

    FACTORIES.update(random_forest=RandomForestMode, gradient_boosting=GradientBoostingMode)


@lru_cache(maxsize=None)
def predictor_set(game: PickLottery) -> PredictorSet:
    """Return the ticket modes of one pick lottery (its current era's matrix)."""

    def build(seed: int = 0, names=None, share_members: bool = False):
        wanted = MODES if names is None else tuple(dict.fromkeys(names))
        unknown = [n for n in wanted if n not in FACTORIES]
        if unknown:
            raise KeyError(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}")
        return [FACTORIES[n](game, seed) for n in wanted]

    return PredictorSet(names=MODES, build=build, report_predictor=REPORT_MODE, external=(),
                        costs={"random": 10, "frequency": 60, "hybrid": 90,
                               "random_forest": 2000, "gradient_boosting": 2000})


def era_of(game: PickLottery) -> Era:
    """Return the era whose matrix the modes play."""
    return game.current_era
