"""Crash (Aviator / bustabit style): each round ends at a multiplier X >= 1.00, two decimals.

The one place for crash rules: the outcome (a multiplier), the formula profiles
that turn a round hash into a multiplier, hash chains, streak maths and the
markets a crash prediction is scored on.

Fair null model (the bustabit v2 formula): U uniform on 52 bits, X =
max(1, floor(99 / (1 - U)) / 100), so P(X >= m) = 0.99 / m for m >= 1.01 and
every fixed cash-out target returns 0.99 per unit staked. Multipliers are
handled as whole cents internally so comparisons never meet float rounding.

A streak for threshold T counts rounds up to and including the first X >= T;
its length is geometric with p = 0.99 / T and memoryless.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from lottery.games.base import (Game, Market, P_FLOOR, PageConfig, brier_micro, log_loss_micro,
                                 normalise_probs)
from lottery.games.schedule import RoundSchedule

NBITS = 52
TWO52 = 1 << NBITS
MIN_MULTIPLIER = 1.0
MAX_MULTIPLIER = 10_000_000.0  # above this a value is a typo or a unit mix-up, not a round
MIN_TARGET_CENTS = 101  # the lowest cash-out: 1.01x (1.00x returns the stake and is no bet)
RTP = 0.99  # return per unit staked of every fixed cash-out under the v2 formula

TARGETS = (1.5, 2.0, 3.0, 5.0, 10.0, 100.0)  # the "reaches m" market grid
STREAK_THRESHOLD = 10.0  # the streak market's threshold (the streak API's MULTIPLIER_THRESHOLD)
STREAK_BUCKETS = 50  # a streak distribution gives P(S=1..49) and P(S>=50)


# -- the outcome: a multiplier in whole cents ------------------------------------------
_NUMBER = re.compile(r"(\d+)(?:\.(\d{1,2}))?[xX]?")


def to_cents(value: Any) -> int:
    """Return a raw multiplier (number or text like '2.35' or '2.35x') in whole cents, or raise ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"a multiplier is a number, got {value!r}")
    if isinstance(value, int):
        cents = value * 100
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a multiplier is a finite number, got {value!r}")
        # repr() is the shortest text that round-trips: 1.1 is '1.1', not 1.1000000000000000888.
        dec = Decimal(repr(value))
        if dec.as_tuple().exponent < -2:
            raise ValueError(f"a multiplier has at most two decimals, got {value!r}")
        cents = int(dec * 100)
    elif isinstance(value, (str, Decimal)):
        text = str(value).strip()
        match = _NUMBER.fullmatch(text) if text.isascii() else None
        if match is None:
            raise ValueError(f"not a multiplier (like 2.35): {value!r}")
        whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
        if len(whole) > 9:
            raise ValueError(f"multiplier {value!r} is absurdly large (max {MAX_MULTIPLIER:g})")
        cents = int(whole) * 100 + int(frac)
    else:
        raise ValueError(f"a multiplier is a number, got {type(value).__name__}")
    if cents < 100:
        raise ValueError(f"a multiplier is at least 1.00, got {value!r}")
    if cents > MAX_MULTIPLIER * 100:
        raise ValueError(f"multiplier {value!r} is absurdly large (max {MAX_MULTIPLIER:g})")
    return cents


def parse_multiplier(value: Any) -> float:
    """Return a raw multiplier as a float with two decimals, or raise ValueError."""
    return to_cents(value) / 100


def target_cents(target: Any) -> int:
    """Return a cash-out target (2, '2x', 'reach_2x') in cents, or raise ValueError (below 1.01)."""
    if isinstance(target, str):
        text = target.strip()
        if text.startswith("reach_"):
            text = text[len("reach_"):]
        target = text
    try:
        cents = to_cents(target)
    except ValueError as exc:
        raise ValueError(f"not a cash-out target: {exc}") from None
    if cents < MIN_TARGET_CENTS:
        raise ValueError(f"a cash-out target is at least 1.01x, got {target!r}")
    return cents


def fmt_multiplier(x: float) -> str:
    """Return a multiplier as the games show it, e.g. '10.91x'."""
    return f"{x:.2f}x"


# -- the v2 formula and its exact distribution --------------------------------------------
def cents_from_r(r: int) -> int:
    """Return floor(99 / (1 - r/2^52)) in cents, at least 100: the v2 formula in exact integers."""
    if not 0 <= r < TWO52:
        raise ValueError(f"r must be a 52-bit integer, got {r}")
    return max(100, (99 * TWO52) // (TWO52 - r))


def reach_probability(target: Any) -> Fraction:
    """Return the exact P(X >= target) of the v2 formula (0.99/m up to 2^-52; 1 for 1.00)."""
    return _reach_fraction(to_cents(target))


def _reach_fraction(cents: int) -> Fraction:
    if cents <= 100:
        return Fraction(1)
    # floor(99*2^52 / k) >= c  <=>  k <= 99*2^52 / c, with k = 2^52 - r in 1..2^52.
    return Fraction(min(TWO52, (99 * TWO52) // cents), TWO52)


def instant_crash_probability() -> Fraction:
    """Return the exact P(X = 1.00) of the v2 formula (about 1.98%)."""
    return 1 - reach_probability(1.01)


def cashout_return(target: Any) -> float:
    """Return the exact expected payback per unit of a cash-out at `target` under v2 (0.99)."""
    cents = target_cents(target)
    return float(Fraction(cents, 100) * _reach_fraction(cents))


def sample_multipliers(rng, n: int, *, cents: bool = False):
    """Return n multipliers drawn from the v2 formula (uniform 52-bit r, exact integer maths)."""
    import numpy as np  # numpy only where Monte Carlo runs, not for every importer of games

    r = rng.integers(0, TWO52, size=n, dtype=np.int64)
    # 99*2^52 < 2^63: the floor division is exact in int64.
    out = np.maximum((np.int64(99) << NBITS) // (np.int64(TWO52) - r), 100)
    return out if cents else out / 100.0


# -- formula profiles: how a platform turns a round hash into a multiplier -------------------
def _sha256_link(h: str, link: str) -> str:
    data = bytes.fromhex(h) if link == "bytes" else h.encode()
    return hashlib.sha256(data).hexdigest()


def _check_hash(h: Any) -> str:
    if not isinstance(h, str) or len(h) != 64 or not h.isascii():
        raise ValueError(f"a round hash is 64 hex digits, got {h!r}")
    try:
        bytes.fromhex(h)
    except ValueError:
        raise ValueError(f"a round hash is 64 hex digits, got {h!r}") from None
    return h.lower()


@dataclass(frozen=True)
class Profile:
    """A platform's formula: how a round hash and the salt give a multiplier, and how hashes chain.

    kind "v2": h = HMAC-SHA256(key = salt text, msg = the round hash's 32 bytes),
    X = max(1, floor(99 / (1 - first 52 bits / 2^52)) / 100).
    kind "v1": h = HMAC-SHA256(key = the round hash's hex text, msg = salt text);
    an instant crash when h (256-bit) is divisible by `instant_mod`, otherwise
    X = floor((100*2^52 - r) / (2^52 - r)) / 100 with r the first 52 bits.
    link "bytes": previous hash = SHA256(32 bytes); "hex": SHA256(the 64-char hex text).
    """

    name: str
    label: str
    kind: str  # "v2" or "v1"
    salt: str | None  # the platform's published salt (client seed); None: the caller gives it
    link: str  # "bytes" or "hex"
    instant_mod: int | None = None  # v1 family: 1 round in this many crashes instantly
    source: str = ""  # where the formula and constants are published
    terminal_hash: str | None = None  # the chain's published final hash, when known

    def __post_init__(self):
        if self.kind not in ("v2", "v1") or self.link not in ("bytes", "hex"):
            raise ValueError(f"bad profile {self.name}: kind {self.kind!r}, link {self.link!r}")
        if (self.kind == "v1") != (self.instant_mod is not None):
            raise ValueError(f"profile {self.name}: instant_mod goes with kind v1 only")

    def _salt(self, salt: str | None) -> str:
        salt = self.salt if salt is None else salt
        if not salt:
            raise ValueError(f"profile {self.name} needs the platform's salt")
        return salt

    def digest(self, round_hash: str, salt: str | None = None) -> str:
        """Return the HMAC hex digest the multiplier is read from."""
        h = _check_hash(round_hash)
        salt = self._salt(salt)
        if self.kind == "v2":
            return hmac.new(salt.encode(), bytes.fromhex(h), hashlib.sha256).hexdigest()
        return hmac.new(h.encode(), salt.encode(), hashlib.sha256).hexdigest()

    def cents(self, round_hash: str, salt: str | None = None) -> int:
        """Return the round's multiplier in cents (an instant crash is 100: no cash-out wins)."""
        d = self.digest(round_hash, salt)
        r = int(d[: NBITS // 4], 16)
        if self.kind == "v2":
            return cents_from_r(r)
        if int(d, 16) % self.instant_mod == 0:
            return 100
        return (100 * TWO52 - r) // (TWO52 - r)

    def is_instant(self, round_hash: str, salt: str | None = None) -> bool:
        """Return True when the round crashed before any cash-out (v1 family: divisible by the mod)."""
        if self.kind == "v1":
            return int(self.digest(round_hash, salt), 16) % self.instant_mod == 0
        return self.cents(round_hash, salt) == 100

    def multiplier(self, round_hash: str, salt: str | None = None) -> float:
        """Return the round's multiplier (two decimals)."""
        return self.cents(round_hash, salt) / 100

    def previous_hash(self, round_hash: str) -> str:
        """Return the previous round's hash (the chain link) of this profile."""
        return previous_hash(round_hash, self.link)

    def reach_probability(self, target: Any) -> float:
        """Return P(X >= target) of this formula for a target of at least 1.01."""
        c = target_cents(target)
        if self.kind == "v2":
            return float(_reach_fraction(c))
        # r/2^52 >= (c - 100) / (c - 1), times the share of rounds that are not instant.
        return 99 / (c - 1) * (1 - 1 / self.instant_mod)

    def expected_return(self, target: Any) -> float:
        """Return the expected payback per unit of a cash-out at `target` under this formula."""
        return target_cents(target) / 100 * self.reach_probability(target)


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("bustabit_v2", "bustabit v2 (current chain)", "v2",
            salt="00000000000000000001e08b7fd44f95e3e950ac65650a8031a6d5e1750e34be",
            link="bytes",
            source="github.com/bustabit/verifier src/constants.ts, src/utils/math.ts",
            terminal_hash="567a98370fb7545137ddb53687723cf0b8a1f5e93b1f76f4a1da29416930fa59"),
    Profile("bustabit_v2_2018", "bustabit v2 (2018 chain, games 1-10,000,000)", "v2",
            salt="0000000000000000004d6ec16dafe9d8370958664c1dc422f452892264c59526",
            link="hex",
            source="bitcointalk topic 2807542; github.com/bustabit/verifier",
            terminal_hash="86728f5fc3bd99db94d3cdaf105d67788194e9701bf95d049ad0e1ee3d004277"),
    Profile("bustabit_v1", "bustabit v1 (1 in 101 instant)", "v1",
            salt="000000000000000007a9a31ff7f07463d91af6b5454241d5faf282e5e0fe1b3a",
            link="hex", instant_mod=101,
            source="github.com/bustabit/v1-gameserver server/lib.js; bitcointalk topic 922898",
            terminal_hash="c1cfa8e28fc38999eaa888487e443bad50a65e0b710f649affa6718cfbfada4d"),
    Profile("clone_33", "bustabit clone (1 in 33 instant)", "v1", salt=None, link="hex",
            instant_mod=33, source="v1 code with 'divisible by 33'"),
    Profile("clone_25", "bustabit clone (1 in 25 instant)", "v1", salt=None, link="hex",
            instant_mod=25, source="v1 code with 'divisible by 25'"),
)}


def get_profile(name: str) -> Profile:
    """Return the named formula profile, or raise KeyError naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


# -- hash chains -----------------------------------------------------------------------------
def previous_hash(round_hash: str, link: str = "bytes") -> str:
    """Return the previous round's hash: SHA256 of this one (of its bytes, or of its hex text)."""
    if link not in ("bytes", "hex"):
        raise ValueError(f"link is 'bytes' or 'hex', got {link!r}")
    return _sha256_link(_check_hash(round_hash), link)


def generate_chain(seed: bytes | str, n: int, link: str = "bytes") -> list[str]:
    """Return n round hashes in play order from a terminal secret (round 1 is the last one made)."""
    if n < 1:
        raise ValueError("a chain has at least one round")
    data = seed if isinstance(seed, bytes) else seed.encode()
    h = hashlib.sha256(data).hexdigest()
    made = [h]
    for _ in range(n - 1):
        h = _sha256_link(h, link)
        made.append(h)
    made.reverse()
    return made


def published_hash(chain: Sequence[str], link: str = "bytes") -> str:
    """Return the hash published before round 1: the link of round 1's hash."""
    return previous_hash(chain[0], link)


def verify_link(round_hash: str, previous: str, link: str = "bytes") -> bool:
    """Return True when `previous` is the chain link of `round_hash`."""
    return hmac.compare_digest(previous_hash(round_hash, link), _check_hash(previous))


def hash_to_terminal(round_hash: str, steps: int, link: str = "bytes") -> str:
    """Return the hash reached after applying the chain link `steps` times."""
    h = _check_hash(round_hash)
    for _ in range(steps):
        h = _sha256_link(h, link)
    return h


def verify_round(round_hash: str, position: int, terminal: str, link: str = "bytes") -> bool:
    """Return True when the hash of round `position` (1 = first played) leads to `terminal`."""
    if position < 1:
        raise ValueError("round positions start at 1")
    return hash_to_terminal(round_hash, position, link) == _check_hash(terminal)


# -- streaks -------------------------------------------------------------------------------------
def streak_p(threshold: Any) -> float:
    """Return the chance a round ends a streak for `threshold` (0.99 / T under v2)."""
    return float(_reach_fraction(target_cents(threshold)))


def _reached(x: Any, t_cents: int) -> bool:
    return to_cents(x) >= t_cents


def current_run(multipliers: Iterable, threshold: Any) -> int:
    """Return how many rounds have passed since the last X >= threshold (all of them if none)."""
    t = target_cents(threshold)
    run = 0
    for x in multipliers:
        run = 0 if _reached(x, t) else run + 1
    return run


def streak_lengths(multipliers: Iterable, threshold: Any) -> tuple[list[int], int]:
    """Return (completed streak lengths, the open run) of a sequence of multipliers, oldest first."""
    t = target_cents(threshold)
    lengths, run = [], 0
    for x in multipliers:
        run += 1
        if _reached(x, t):
            lengths.append(run)
            run = 0
    return lengths, run


def geometric_pmf(k: int, p: float) -> float:
    """Return P(S = k) of a streak that ends each round with chance p."""
    return (1 - p) ** (k - 1) * p if k >= 1 else 0.0


def geometric_cdf(k: int, p: float) -> float:
    """Return P(S <= k)."""
    return 1 - (1 - p) ** k if k >= 1 else 0.0


def geometric_sf(k: int, p: float) -> float:
    """Return P(S >= k): no end in the first k-1 rounds."""
    return (1 - p) ** (k - 1) if k >= 1 else 1.0


def streak_bucket_probs(p: float, buckets: int = STREAK_BUCKETS) -> list[float]:
    """Return [P(S=1), ..., P(S=buckets-1), P(S>=buckets)] of the geometric streak."""
    return [geometric_pmf(k, p) for k in range(1, buckets)] + [geometric_sf(buckets, p)]


def streak_histogram(lengths: Iterable[int], buckets: int = STREAK_BUCKETS) -> list[int]:
    """Return counts of streak lengths in the buckets 1..buckets-1 and buckets-or-more."""
    counts = [0] * buckets
    for s in lengths:
        if s < 1:
            raise ValueError(f"a streak has at least one round, got {s}")
        counts[min(s, buckets) - 1] += 1
    return counts


def expected_streak_counts(n_streaks: int, p: float, buckets: int = STREAK_BUCKETS) -> list[float]:
    """Return the geometric expectation of the streak histogram for n streaks."""
    return [n_streaks * q for q in streak_bucket_probs(p, buckets)]


def streak_hazard(probs: Sequence[float], run: int) -> float | None:
    """Return P(S = run+1 | S > run) of a bucketed distribution (None inside the open last bucket).

    Scoring every round of a streak on this hazard sums, by the chain rule, to
    the log loss of the bucketed streak length under a fixed distribution.
    """
    k = run + 1
    if k >= len(probs):
        return None
    alive = sum(probs[run:])
    return probs[run] / alive if alive > 0 else None


# -- markets ---------------------------------------------------------------------------------------
def reach_market_name(target: float) -> str:
    """Return the market name of "the next round reaches `target`", e.g. reach_2x."""
    return f"reach_{target:g}x"


def streak_market_name(threshold: float) -> str:
    """Return the market name of the streak distribution for `threshold`, e.g. streak_10x."""
    return f"streak_{threshold:g}x"


def _binary_baseline(p: float) -> tuple[float, float]:
    # The null forecast's expected log loss (the entropy) and Brier score p(1-p).
    return -(p * math.log(p) + (1 - p) * math.log(1 - p)), p * (1 - p)


def _reach_market(target: float) -> Market:
    p = RTP / target  # the exact v2 chance differs by under 2^-52
    return Market(reach_market_name(target), f"Reaches {target:g}x", p, 1 / target,
                  _binary_baseline(p))


REACH_MARKETS = {reach_market_name(t): target_cents(t) for t in TARGETS}
_STREAK_P = RTP / STREAK_THRESHOLD
MARKETS = tuple(_reach_market(t) for t in TARGETS) + (
    # Scored per round on the hazard of the stated streak distribution; "hit" counts
    # the rounds that ended the streak, so its chance is p and a cash-out at T is
    # the matching bet. It is judged on log loss against the geometric, not on hits.
    Market(streak_market_name(STREAK_THRESHOLD), f"{STREAK_THRESHOLD:g}x streak length",
           _STREAK_P, 1 / STREAK_THRESHOLD, _binary_baseline(_STREAK_P)),
)
MARKET_NAMES = tuple(m.name for m in MARKETS)
STREAK_MARKET = MARKETS[-1].name
BETS = tuple(f"{t:g}x" for t in TARGETS)


def _probability(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a probability, got {value!r}")
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a probability, got {value!r}") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{what} must be a probability, got {value!r}")
    return round(p, 6)


def normalise(prediction: Any) -> dict:
    """Return the compact stored form of a crash prediction, or raise ValueError if unusable.

    Fields: `calls` (targets the predictor says the next round reaches), `reach_p`
    ({market: probability the next round reaches it}), `streak_10x`
    ({"run": rounds since the last 10x, "probs": [P(S=1..49), P(S>=50)]} over the
    streak's total length S), plus `rule` and `extra` kept as given.
    """
    raw = prediction.to_dict() if hasattr(prediction, "to_dict") else dict(prediction)
    out: dict = {}
    calls = raw.get("calls") or []
    if isinstance(calls, (str, bytes)) or not isinstance(calls, Iterable):
        raise ValueError(f"calls must be a list of targets, got {calls!r}")
    names = []
    for c in calls:
        name = reach_market_name(target_cents(c) / 100)
        if name not in REACH_MARKETS:
            raise ValueError(f"no market for target {c!r}; targets: {', '.join(BETS)}")
        names.append(name)
    if names:
        out["calls"] = [m for m in REACH_MARKETS if m in names]
    reach_p = raw.get("reach_p")
    if reach_p is not None:
        if not isinstance(reach_p, Mapping):
            raise ValueError("reach_p must map markets to probabilities")
        for key in reach_p:
            if key not in REACH_MARKETS:
                raise ValueError(f"unknown market {key!r} in reach_p")
        out["reach_p"] = {m: _probability(reach_p[m], m) for m in REACH_MARKETS if m in reach_p}
    streak = raw.get(STREAK_MARKET)
    if streak is not None:
        if not isinstance(streak, Mapping):
            raise ValueError(f"{STREAK_MARKET} must be {{run, probs}}")
        run = streak.get("run")
        if isinstance(run, bool) or not isinstance(run, int) or run < 0:
            raise ValueError(f"{STREAK_MARKET}.run must be a whole number >= 0, got {run!r}")
        out[STREAK_MARKET] = {"run": run,
                              "probs": normalise_probs(streak.get("probs") or (), STREAK_BUCKETS)}
    if not markets_of(out):
        raise ValueError("the prediction takes part in no market")
    for key in ("rule", "extra"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    return out


def markets_of(prediction: Mapping) -> tuple[str, ...]:
    """Return the markets a prediction takes part in (a call or a probability; the streak outside its last bucket)."""
    taken = set(prediction.get("calls") or ()) | set(prediction.get("reach_p") or ())
    streak = prediction.get(STREAK_MARKET)
    if streak and streak_hazard(streak["probs"], streak["run"]) is not None:
        taken.add(STREAK_MARKET)
    elif streak and len(streak["probs"]) > streak["run"] + 1:
        taken.add(STREAK_MARKET)  # the predictor ruled the open streak impossible: scored at the floor
    return tuple(m for m in MARKET_NAMES if m in taken)


def score(prediction: Mapping, multiplier: Any) -> dict[str, tuple[int, int | None, int | None]]:
    """Return {market: (hit 0/1, log loss in micro-units or None, Brier in micro-units or None)}."""
    pred = prediction.to_dict() if hasattr(prediction, "to_dict") else prediction
    x = to_cents(multiplier)
    probs = pred.get("reach_p") or {}
    out = {}
    for market in markets_of(pred):
        if market == STREAK_MARKET:
            hit = x >= target_cents(STREAK_THRESHOLD)
            streak = pred[STREAK_MARKET]
            h = streak_hazard(streak["probs"], streak["run"])
            if h is None:  # no mass left on the streak still running
                out[market] = (int(hit), log_loss_micro(P_FLOOR), brier_micro(1.0))
                continue
        else:
            hit = x >= REACH_MARKETS[market]
            h = probs.get(market)
        ll = br = None
        if h is not None:
            p_actual = h if hit else 1 - h
            ll = log_loss_micro(p_actual)
            br = brier_micro((1 - p_actual) ** 2)
        out[market] = (int(hit), ll, br)
    return out


def null_prediction() -> dict:
    """Return the fair null model's prediction for a fresh streak (0.99/m and the geometric)."""
    return {"reach_p": {m.name: round(m.chance, 6) for m in MARKETS if m.name in REACH_MARKETS},
            STREAK_MARKET: {"run": 0, "probs": normalise_probs(
                streak_bucket_probs(_STREAK_P), STREAK_BUCKETS)}}


def settle(bet: Any, stake: float, multiplier: Any) -> float:
    """Return what `stake` cashed out at target `bet` pays back: stake x m if X >= m, else 0."""
    m = target_cents(bet)
    return stake * m / 100 if to_cents(multiplier) >= m else 0.0


# -- the game --------------------------------------------------------------------------------------
SIM_SALT = "lottery-crash-simulated-feed"  # public: the secret is the chain's terminal seed
CHAIN_LENGTH = 100_000  # rounds per simulated hash chain (about three weeks of play)


@dataclass(frozen=True)
class ChainedRounds(RoundSchedule):
    """Round ids 1, 2, ...; the simulated feed plays them from hash chains of `chain_length` rounds."""

    chain_length: int = CHAIN_LENGTH

    def chain_index(self, issue: str) -> int:
        """Return which chain (0, 1, ...) a round belongs to."""
        return max(self.parse_issue(issue) - 1, 0) // self.chain_length

    def chain_id(self, issue: str) -> str:
        return str(self.chain_index(issue))

    def chain_span(self, issue: str) -> tuple[int, int]:
        first = self.chain_index(issue) * self.chain_length + 1
        return first, first + self.chain_length - 1


@dataclass(frozen=True, eq=False)
class Crash(Game):
    """The crash game: feed-driven rounds, a multiplier per round, cash-out markets."""

    code: str = "Crash"
    salt: str = SIM_SALT  # the simulated feed's HMAC key (public, like a platform's salt)
    schedule: ChainedRounds = field(default_factory=ChainedRounds)

    family = "crash"
    label = "Crash"
    markets = MARKETS
    bets = BETS
    outcome_fields = ("multiplier",)
    issue_columns = ("round_id", "issue", "round", "game_id")
    time_columns = ("time", "drawn_at", "created_at")
    predictors_path = "lottery.predictors.crash:PREDICTOR_SET"
    report_path = "lottery.reports.crash:REPORT"
    audit_path = "lottery.evaluation.crash_audit:audit"
    sim_feed_path = "lottery.sources.crash_feed:CrashFeed"
    bot_path = "lottery.bot.crash_texts"
    backtest_scorer_path = "lottery.evaluation.crash_backtest:CrashScorer"
    # DRAW_SOURCE=http: the round-history reader (paging, hash checks), not the generic one.
    http_source_path = "lottery.sources.crash_http:CrashHttpSource"
    ai_path = "lottery.ai.crash:ADAPTER"
    default_bet = "2x"
    sim_sessions_path = "lottery.sim.crash_sessions:RULES"
    page = PageConfig(template="crash.html", title="Crash", pages=("board", "simulator", "fairness"),
                      config_path="lottery.web.crash_pages:page_config")

    @property
    def profile(self) -> Profile:
        """Return the simulated feed's formula: bustabit v2 with this game's salt."""
        return Profile("simulated", "simulated (bustabit v2 formula)", "v2", self.salt, "bytes")

    # -- outcomes ----------------------------------------------------------------------------------
    def parse_outcome(self, raw: Any) -> float:
        """Return the multiplier of a raw value (number, text, or a row with `multiplier`), or raise ValueError."""
        if isinstance(raw, Mapping):
            raw = raw.get("multiplier")
        return parse_multiplier(raw)

    def encode_outcome(self, outcome: float) -> dict:
        return {"multiplier": parse_multiplier(outcome)}

    def decode_outcome(self, record: Mapping) -> float:
        return parse_multiplier(record["multiplier"])

    def describe(self, outcome: float) -> dict:
        """Return the multiplier, its display text and the targets it reached."""
        x = to_cents(outcome)
        return {"multiplier": x / 100, "display": fmt_multiplier(x / 100),
                "reached": [m for m, c in REACH_MARKETS.items() if x >= c]}

    def fair_outcome(self, seed: bytes, issue: str) -> float:
        """Return the multiplier of a revealed round hash (32 bytes; the round id is not an input)."""
        return self.profile.multiplier(bytes(seed).hex())

    def proof(self, record: Mapping, feed: Mapping) -> dict:
        """Return what a verifier needs beyond the generic checks: hash, salt, profile, chain end."""
        out = {"hash": record.get("seed"), "salt": self.salt, "profile": "bustabit_v2 formula",
               "link": "previous round hash = SHA256(this hash's 32 bytes)"}
        seed, issue = record.get("seed"), record.get("issue")
        chain = self.schedule.chain_id(issue) if issue else None
        terminal = feed.get(f"terminal:{chain}") if chain is not None else None
        if seed and terminal:
            first, _ = self.schedule.chain_span(issue)
            steps = self.issue_ordinal(issue) - first + 1
            out["terminal_hash"] = terminal
            out["chain_position"] = steps
            out["terminal_matches"] = hash_to_terminal(seed, steps) == terminal
        return out

    def fair_formula(self) -> str:
        return (f"h = HMAC_SHA256(key=salt '{self.salt}', msg=the round hash's 32 bytes); "
                "r = first 52 bits of h; X = max(1, floor(99 / (1 - r / 2^52)) / 100); "
                "SHA256(round hash of n) = round hash of n-1, and the chain's final hash "
                "is published before round 1")

    # -- markets -------------------------------------------------------------------------------------
    def normalise_prediction(self, prediction) -> dict:
        return normalise(prediction)

    def markets_of(self, prediction) -> tuple[str, ...]:
        return markets_of(prediction)

    def score(self, prediction, outcome) -> dict:
        return score(prediction, outcome)

    def hit_picks(self, prediction) -> dict[str, Any]:
        probs = prediction.get("reach_p") or {}
        return {m: (probs.get(m) if m != STREAK_MARKET else prediction[STREAK_MARKET]["run"])
                for m in markets_of(prediction)}

    def settle(self, bet: str, stake: float, outcome) -> float:
        return settle(bet, stake, outcome)

    def expected_return(self, bet: str) -> float:
        return cashout_return(bet)


VARIANTS = {"Crash": Crash()}
