"""The game-family interface: everything outside a family talks to a game through this.

A family (WinGo digits, crash multipliers, pick lotteries) is one module that
subclasses `Game` and registers its variants in `lottery.games`. A game has:

- a schedule (`lottery.games.schedule`): the issue clock of a fixed period, a
  draw calendar, or feed-driven rounds;
- an outcome type: parsed and validated from raw input, encoded into and
  decoded from the stored draw record, described for the API;
- markets: each with its chance of a hit under the fair null model and its
  break-even hit rate; `score` says which picks of a prediction hit an outcome
  (with log loss and Brier where the prediction carries probabilities) and
  `settle` what a bet pays;
- where its predictors, report builder and page live. Those sit in layers
  above `games` (predictors, workers, web), so a game names them by import
  path and they are loaded on first use: the arrows stay one-way.
"""
from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar, Iterable, Mapping

from lottery.games.schedule import Schedule

MICRO = 1_000_000  # log-loss and Brier sums are stored as integers of 1e-6
P_FLOOR = 1e-9  # a forecast of 0 for what happened costs ln(1e9), not infinity

# One market's score of one prediction: (hit 0/1, log loss micro-units or None, Brier or None)
MarketScore = tuple[int, int | None, int | None]


@dataclass(frozen=True)
class Market:
    """One way a prediction is scored: its chance under the fair null and its break-even rate."""

    name: str
    label: str
    chance: float  # P(hit) of any pick under the fair null model
    break_even: float  # the hit rate at which the usual payout returns the stake
    # (log loss, Brier) of the uniform forecast, for markets scored on probabilities.
    baseline: tuple[float, float] | None = None
    # False where no hit rate can make money (a lottery): there "better than
    # chance" is the best a verdict can say.
    pays: bool = True


@dataclass(frozen=True)
class Draw:
    """One settled draw of a game. `issue` is kept as the source gave it (canonical form)."""

    game: str
    issue: str
    outcome: Any  # the family's outcome (a digit, a multiplier, a tuple of balls...)
    drawn_at: str | None = None  # ISO 8601 UTC
    source: str = "simulated"
    seed: str | None = None  # simulated sources: the revealed seed (hex)
    commitment: str | None = None  # simulated sources: public before the draw

    def to_record(self, game: "Game") -> dict:
        """Return the JSON-able record stored in Redis (the game encodes its outcome)."""
        rec = asdict(self)
        for name in ("game", "issue", "outcome"):
            rec.pop(name)
        return {**game.encode_outcome(self.outcome),
                **{k: v for k, v in rec.items() if v is not None}}


@dataclass(frozen=True)
class PageConfig:
    """What the pages need to render a game: its board template and live panels."""

    template: str  # the board page's template
    title: str
    config_path: str = ""  # "module:function(game) -> dict" of what the page scripts need
    panels: tuple[str, ...] = ()  # panel names the board shows, in order
    # The shared pages that can show this game ("board" is `template`); the game selector
    # of each page offers only the games it can show.
    pages: tuple[str, ...] = ("board",)


class Game:
    """One game variant of a family. Subclasses fill in the family's rules."""

    family: ClassVar[str] = ""
    code: str
    label: str
    schedule: Schedule
    markets: tuple[Market, ...] = ()
    # The finite set of outcomes, when the family has one (WinGo: the ten digits).
    outcomes: tuple = ()
    # Field names of the outcome in imported rows (CSV, JSON): ("number",) for WinGo.
    outcome_fields: ClassVar[tuple[str, ...]] = ()
    # Names the issue and draw-time columns may have in imported files (first: the usual one).
    issue_columns: ClassVar[tuple[str, ...]] = ("issue",)
    time_columns: ClassVar[tuple[str, ...]] = ("drawn_at",)
    # "module:attribute" of the family's predictor set and report builder (see module doc).
    predictors_path: ClassVar[str] = ""
    report_path: ClassVar[str] = ""
    # Optional: the family's own state kept with prediction records, its randomness
    # audit, and a vectorised scorer for the backtest (see WinGo's for the shapes).
    insights_path: ClassVar[str] = ""
    audit_path: ClassVar[str] = ""
    backtest_scorer_path: ClassVar[str] = ""
    ai_path: ClassVar[str] = ""  # the AI worker's adapter (prompt, parser, record)
    bot_path: ClassVar[str] = ""  # the bot's messages about this family's outcomes and calls
    # "module:function(lines, game, now) -> (draws, [(line, reason)])": the family's own
    # CSV formats; empty: the generic `issue,<outcome fields>[,drawn_at]` reader.
    csv_path: ClassVar[str] = ""
    # "module:function(r, game, predictors, issue, now)": run by the draw worker after it
    # commits a new issue's predictions (pick lotteries: the pre-generated ticket batch).
    after_predict_path: ClassVar[str] = ""
    page: ClassVar[PageConfig | None] = None
    # "module:Class" of the simulated source's own feed for this family (rounds paced by
    # the feed, not a clock); empty: the generic seed chain per span.
    sim_feed_path: ClassVar[str] = ""

    # -- schedule (delegated so callers say game.next_issue(...)) -----------------
    def parse_issue(self, issue: str):
        """Return the parsed issue, or raise ValueError naming what is wrong."""
        return self.schedule.parse_issue(issue)

    def canonical_issue(self, issue: Any) -> str:
        """Return the canonical string of a raw issue id, or raise ValueError."""
        return self.schedule.canonical_issue(issue)

    def issue_ordinal(self, issue: str) -> int:
        """Return a whole number ordering issues, one per period or round."""
        return self.schedule.ordinal(issue)

    def issue_from_ordinal(self, ordinal: int) -> str:
        """Return the canonical issue of an ordinal."""
        return self.schedule.from_ordinal(ordinal)

    def next_issue(self, issue: str) -> str:
        """Return the issue after `issue`."""
        return self.schedule.from_ordinal(self.schedule.ordinal(issue) + 1)

    def previous_issue(self, issue: str) -> str:
        """Return the issue before `issue`."""
        return self.schedule.from_ordinal(self.schedule.ordinal(issue) - 1)

    def issue_at(self, when: datetime) -> str | None:
        """Return the open issue at `when` (None for feed-driven rounds)."""
        return self.schedule.open_issue(when)

    def last_settled_issue(self, when: datetime) -> str | None:
        """Return the newest issue drawn by `when` (None for feed-driven rounds)."""
        return self.schedule.last_settled(when)

    def draw_time(self, issue: str) -> datetime | None:
        """Return the UTC instant `issue` is drawn (None when the feed decides)."""
        return self.schedule.draw_time(issue)

    def seconds_to_next_draw(self, when: datetime) -> float | None:
        """Return seconds from `when` until the open issue is drawn (None: unknown)."""
        return self.schedule.seconds_to_next_draw(when)

    def interval_before(self, issue: str) -> float | None:
        """Return the seconds between the previous issue's draw and this one's (None: unknown)."""
        this, before = self.draw_time(issue), self.draw_time(self.previous_issue(issue))
        return (this - before).total_seconds() if this and before else None

    def history_start(self) -> str | None:
        """Return the oldest issue a simulated back-fill may reach (None: no floor)."""
        return None

    def same_chain(self, a: str, b: str) -> bool:
        """Return True when two issues belong to one simulated seed chain."""
        return self.schedule.chain_id(a) == self.schedule.chain_id(b)

    # -- outcomes -------------------------------------------------------------------
    def parse_outcome(self, raw: Any) -> Any:
        """Return the outcome of a raw value (one field's value, or a row dict), or raise ValueError."""
        raise NotImplementedError

    def encode_outcome(self, outcome: Any) -> dict:
        """Return the outcome's fields of the stored record."""
        raise NotImplementedError

    def decode_outcome(self, record: Mapping) -> Any:
        """Return the outcome of a stored record."""
        raise NotImplementedError

    def describe(self, outcome: Any) -> dict:
        """Return the outcome as the API shows it."""
        raise NotImplementedError

    def fair_outcome(self, seed: bytes, issue: str) -> Any:
        """Return the outcome a simulated feed's revealed seed gives for an issue."""
        raise NotImplementedError

    def fair_formula(self) -> str:
        """Return the fair feed's formula in words, for proofs and the CLI."""
        raise NotImplementedError

    def proof(self, record: Mapping, feed: Mapping) -> dict:
        """Return family-specific proof fields of a stored simulated draw (feed: its public facts)."""
        return {}

    def raw_outcome(self, row: Mapping) -> Any:
        """Return the raw outcome of an imported row (the single field, or the fields)."""
        if len(self.outcome_fields) == 1:
            return row.get(self.outcome_fields[0])
        return {k: row.get(k) for k in self.outcome_fields}

    # -- markets ----------------------------------------------------------------------
    def market(self, name: str) -> Market:
        """Return the market of this name, or raise KeyError naming the known ones."""
        for m in self.markets:
            if m.name == name:
                return m
        raise KeyError(f"unknown market {name!r}; known: {', '.join(self.market_names)}")

    @property
    def market_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.markets)

    def normalise_prediction(self, prediction: Any) -> dict:
        """Return the compact stored form of a prediction, or raise ValueError if unusable."""
        raise NotImplementedError

    def markets_of(self, prediction: Mapping) -> tuple[str, ...]:
        """Return the markets a (normalised) prediction takes part in."""
        raise NotImplementedError

    def score(self, prediction: Mapping, outcome: Any) -> dict[str, MarketScore]:
        """Return {market: (hit, log loss, Brier)} of a normalised prediction against an outcome."""
        raise NotImplementedError

    def hit_picks(self, prediction: Mapping) -> dict[str, Any]:
        """Return the pick shown for each market of a prediction (for history rows)."""
        return {m: prediction.get(m) for m in self.markets_of(prediction)}

    bets: tuple[str, ...] = ()

    def settle(self, bet: str, stake: float, outcome: Any) -> float:
        """Return what `stake` on `bet` pays back on `outcome` (0 when it loses)."""
        raise NotImplementedError

    def expected_return(self, bet: str) -> float:
        """Return the expected amount paid back per unit staked under the fair null."""
        raise NotImplementedError

    # -- the simulator's bets (lottery.sim) ---------------------------------------------
    # {market: its bets} for the markets a simulated strategy can follow a prediction
    # in, in display order; every bet is one of `bets`.
    bet_groups: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    default_bet: ClassVar[str] = ""  # the fixed bet of a study or backtest that names none
    default_bet_market: ClassVar[str] = ""  # the market a followed predictor is bet on
    # "module:attribute" of the live simulator's session rules (its strategy objects).
    sim_sessions_path: ClassVar[str] = ""

    def bet_from_prediction(self, market: str, prediction: Any) -> Any:
        """Return the raw pick a prediction (mapping or object) makes in a market, or None."""
        if isinstance(prediction, (dict, Mapping)):  # dict first: the ABC check is slow
            return prediction.get(market)
        return getattr(prediction, market, None)

    # -- layers above, by import path ------------------------------------------------------
    def predictors(self):
        """Return the family's predictor set (names, builder, report predictor)."""
        return _load(self.predictors_path)

    def report_builder(self):
        """Return the family's report builder."""
        return _load(self.report_path)

    def insights(self):
        """Return the family's record hook (per-predictor state kept with records), or None."""
        return _load(self.insights_path) if self.insights_path else None


    def audit(self, outcomes) -> dict:
        """Return the family's randomness audit of outcomes (oldest first)."""
        return _load(self.audit_path)(self, outcomes)

    def page_config(self) -> dict:
        """Return what the family's page scripts need (rules, payouts), JSON-able."""
        return _load(self.page.config_path)(self) if self.page and self.page.config_path else {}

    def bot_texts(self):
        """Return the module of the bot's messages for this family."""
        return _load(self.bot_path)

    def ai(self):
        """Return the family's AI adapter, or None when the AI does not play this game."""
        return _load(self.ai_path) if self.ai_path else None

    def sim_feed(self):
        """Return the family's simulated feed class, or None (the generic seed chain)."""
        return _load(self.sim_feed_path) if self.sim_feed_path else None

    def sim_sessions(self):
        """Return the live simulator's session rules for this game, or None (no live sessions)."""
        return _load(self.sim_sessions_path) if self.sim_sessions_path else None

    def csv_reader(self):
        """Return the family's CSV reader, or None (the generic reader applies)."""
        return _load(self.csv_path) if self.csv_path else None

    def after_predict(self):
        """Return the family's hook run after each new issue's predictions, or None."""
        return _load(self.after_predict_path) if self.after_predict_path else None

    def backtest_scorer(self):
        """Return the family's vectorised backtest scorer class, or None (score one by one)."""
        return _load(self.backtest_scorer_path) if self.backtest_scorer_path else None

    # A game is its code: variants are compared and hashed by it (the families are frozen
    # dataclasses with eq=False, so these are the ones that apply).
    def __hash__(self):
        return hash(self.code)

    def __eq__(self, other):
        return type(other) is type(self) and other.code == self.code

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


def log_loss_micro(p: float) -> int:
    """Return -ln(p) in micro-units, with p floored so a sure miss costs a finite amount."""
    return round(-math.log(max(p, P_FLOOR)) * MICRO)


def brier_micro(value: float) -> int:
    """Return a Brier score in micro-units."""
    return round(value * MICRO)


def normalise_probs(probs: Iterable, size: int) -> list[float]:
    """Return `size` non-negative probabilities scaled to sum 1 (6 decimals), or raise ValueError."""
    try:
        values = [float(p) for p in probs]
    except (TypeError, ValueError):
        raise ValueError(f"probs must be {size} numbers") from None
    if len(values) != size or any(not (p >= 0.0) or math.isinf(p) for p in values):
        raise ValueError(f"probs must be {size} non-negative numbers")
    total = sum(values)
    if total <= 0:
        raise ValueError("probs must not all be zero")
    return [round(p / total, 6) for p in values]


_loaded: dict[str, Any] = {}


def _load(path: str):
    """Return the object at "module:attribute" (or the module itself without ":")."""
    if not path:
        raise LookupError("this game names no such module")
    if path not in _loaded:
        module, _, attr = path.partition(":")
        found = importlib.import_module(module)
        _loaded[path] = getattr(found, attr) if attr else found
    return _loaded[path]
