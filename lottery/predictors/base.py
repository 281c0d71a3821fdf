"""The predictor interface every family's predictors implement.

A predictor is fed settled outcomes one by one (oldest first) and predicts the
next draw; it never sees the draw it predicts: `predict()` is called before
`update(outcome)` with that draw's outcome. A prediction is any object with
`predictor` (its name) and `to_dict()`; the game's `normalise_prediction` and
`score` say what it means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol


class Prediction(Protocol):
    predictor: str

    def to_dict(self) -> dict:
        """Return a JSON-able dict of the prediction."""


class Predictor(Protocol):
    """History in (one outcome at a time), a prediction for the next draw out."""

    name: str
    probabilistic: bool

    def update(self, outcome: Any) -> None:
        """Feed one settled outcome (the oldest first)."""

    def predict(self) -> Prediction:
        """Predict the next, not yet drawn, outcome."""


def warm(predictor: Predictor, outcomes: Iterable) -> Predictor:
    """Feed a history of outcomes, oldest first, and return the predictor."""
    for o in outcomes:
        predictor.update(o)
    return predictor


def build_named(factories: Mapping[str, Callable[[], Predictor]], known: tuple[str, ...],
                names=None, ensemble: tuple[str, tuple[str, ...], Callable] | None = None,
                share_members: bool = False) -> list[Predictor]:
    """Return fresh predictors of `names` (default: all `known`), in that order.

    `ensemble` is (name, member names, class(members, shared=...)). With
    `share_members` the ensemble reuses the member instances in the list instead of
    running copies: only for a caller that asks every predictor to predict before
    feeding any of them an outcome (the backtest).
    """
    wanted = known if names is None else tuple(dict.fromkeys(names))  # no repeats
    kinds = set(factories) | ({ensemble[0]} if ensemble else set())
    unknown = [n for n in wanted if n not in kinds]
    if unknown:
        raise KeyError(f"unknown predictor(s) {', '.join(unknown)}; known: {', '.join(known)}")
    built = {n: factories[n]() for n in wanted if n in factories}
    if ensemble and ensemble[0] in wanted:
        name, members, make = ensemble
        shared = share_members and all(n in built for n in members)
        built[name] = (make([built[n] for n in members], shared=True) if shared
                       else make([factories[n]() for n in members]))
    return [built[n] for n in wanted]


@dataclass(frozen=True)
class PredictorSet:
    """A family's predictors: names in display order, a builder, and the one the report uses."""

    names: tuple[str, ...]
    # build(seed=0, names=None, share_members=False) -> fresh predictors, in `names` order
    build: Callable[..., list[Predictor]]
    report_predictor: str
    # Recorded by other processes (the AI worker), not built here.
    external: tuple[str, ...] = ("ai",)
    # Measured cost per draw (microseconds), to balance a backtest over processes.
    costs: Mapping[str, int] = field(default_factory=dict)

    def order(self, names: Iterable[str]) -> list[str]:
        """Return predictor names in display order: built-ins, then external, then others."""
        known = self.names + self.external
        return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))
