"""Replay of a crash hash chain: the rounds a hash (or a chain's seed) gives, and a strategy on them.

Given the hash of a round and a count N, the chain gives that round and the
N - 1 before it (each previous hash is SHA256 of the next, `Profile.link`);
they are played oldest first, each multiplier from the profile's formula and
salt (by default the simulated feed's: bustabit v2 with the game's salt). A
seed (any text, the secret a chain is made from as `crash.generate_chain`
does) stands for its chain's last round, SHA256(seed); it is turned into that
hash before anything is queued or stored, so the seed itself never reaches Redis.

The strategy then plays one session over those rounds with the same engine as
Monte Carlo (`CashoutStrategy.block`, `engine.run_paths`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from lottery.evaluation.stats import wilson_interval
from lottery.games import Game
from lottery.games.crash import PROFILES, RTP, Profile, fmt_multiplier, previous_hash
from lottery.sim import engine
from lottery.sim.crash_montecarlo import honesty
from lottery.sim.crash_strategies import (NO_EDGE, STRATEGY_FIELDS, CashoutStrategy,
                                          parse_strategy)
from lottery.sim.montecarlo import return_per_unit
from lottery.sim.params import get_number, parse_limits, reject_unknown, require_object
from lottery.sim.strategies import SimInputError, Workspace
from lottery.sources.simulated import hash_chain

MAX_REPLAY = 100_000  # rounds per replay (about 0.5 s of hashing)
REPLAY_FIELDS = (*STRATEGY_FIELDS, "hash", "seed", "count", "profile", "salt",
                 "initial_wallet", "stop_loss", "take_profit", "path_points")
SHOWN_ROUNDS = 20  # the newest rounds listed with their hashes
REACH_TARGETS = (2, 10, 100)


@dataclass(frozen=True)
class Replay:
    """What to replay: a chain's newest round hash, a count, a formula, a strategy."""

    game: Game
    strategy: CashoutStrategy
    limits: engine.Limits
    newest: str  # hex hash of the last round played
    count: int
    profile: Profile
    salt: str
    path_points: int


def _profile(game: Game, body: dict) -> tuple[Profile, str]:
    name = body.get("profile", "simulated")
    if name == "simulated":
        profile = game.profile
    elif isinstance(name, str) and name in PROFILES:
        profile = PROFILES[name]
    else:
        raise SimInputError(f"profile must be simulated or one of {', '.join(PROFILES)}, "
                            f"got {str(name)[:40]!r}")
    salt = body.get("salt", profile.salt)
    if not isinstance(salt, str) or not salt or len(salt) > 256:
        raise SimInputError(f"the {profile.name} profile needs its salt (text, at most 256 "
                            "characters)")
    return profile, salt


def _newest(body: dict) -> str:
    if ("hash" in body) == ("seed" in body):
        raise SimInputError("give either hash (the newest round's 64 hex digits) or seed")
    if "seed" in body:
        seed = body["seed"]
        if not isinstance(seed, str) or not seed or len(seed) > 1024:
            raise SimInputError("seed must be text of 1 to 1024 characters")
        return hashlib.sha256(seed.encode()).hexdigest()
    raw = body["hash"]
    try:
        if not isinstance(raw, str) or len(raw) != 64 or not raw.isascii():
            raise ValueError
        bytes.fromhex(raw)
    except ValueError:
        raise SimInputError("hash must be 64 hexadecimal digits") from None
    return raw.lower()


def normalise_body(body) -> dict:
    """Return the body to queue: a seed is replaced by its chain's last round hash."""
    body = require_object(body)
    if "seed" in body and "hash" not in body:
        return {**{k: v for k, v in body.items() if k != "seed"}, "hash": _newest(body)}
    return body


def parse_replay(game: Game, body) -> Replay:
    """Return a validated replay, or raise SimInputError."""
    body = require_object(body)
    reject_unknown(body, REPLAY_FIELDS)
    newest = _newest(body)
    count = get_number(body, "count", 1000, minimum=1, maximum=MAX_REPLAY, integer=True)
    profile, salt = _profile(game, body)
    strategy, base_bet = parse_strategy(body)
    limits = parse_limits(body, strategy.progression, base_bet)
    points = get_number(body, "path_points", 200, minimum=2, maximum=2000, integer=True)
    return Replay(game, strategy, limits, newest, count, profile, salt, points)


def chain_hashes(newest: str, count: int, link: str) -> list[str]:
    """Return `count` round hashes ending with `newest`, oldest (first played) first."""
    if link == "bytes":
        return [h.hex() for h in hash_chain(bytes.fromhex(newest), count)]
    out = [newest]
    for _ in range(count - 1):
        out.append(previous_hash(out[-1], link))
    out.reverse()
    return out


def run(replay: Replay) -> dict:
    """Replay the chain, run the strategy over its rounds and return the result."""
    hashes = chain_hashes(replay.newest, replay.count, replay.profile.link)
    cents = np.fromiter((replay.profile.cents(h, replay.salt) for h in hashes), dtype=np.int64,
                        count=len(hashes))
    strategy = replay.strategy
    work = Workspace()
    shape = (1, len(hashes))
    reached = (cents >= strategy.target).reshape(shape)
    below = (cents < strategy.wait_under).reshape(shape) if strategy.needs_below else None
    gain, stakes = strategy.block(reached, below, work)
    res = engine.run_paths(gain, strategy.progression, replay.limits, keep_path=True, work=work,
                           stakes=stakes)
    played = int(res.rounds[0])
    staked = res.stakes[0, :played]
    bets = int(np.count_nonzero(staked))
    wins = int(np.count_nonzero((staked > 0) & reached[0, :played]))
    start = replay.limits.bankroll
    final = float(res.final[0])
    ret = return_per_unit(strategy.expected_return(), res.wagered, res.final - start)
    step = max(1, played // replay.path_points)
    path = [engine.money(v) for v in res.path[0, :played:step]]
    return {
        "replay": {**strategy.to_dict(replay.limits.base_bet), "initial_wallet": start,
                   "stop_loss": replay.limits.stop_loss,
                   "take_profit": replay.limits.take_profit, "count": replay.count,
                   "profile": replay.profile.name, "salt": replay.salt},
        "chain": {"rounds": len(hashes), "newest_hash": hashes[-1], "oldest_hash": hashes[0],
                  # What the chain links to before its oldest replayed round: the round
                  # before it, or the published final hash when the oldest is round 1.
                  "link_before_oldest": previous_hash(hashes[0], replay.profile.link),
                  "link": replay.profile.link},
        "rounds": _round_stats(cents),
        "newest_rounds": [{"hash": h, "multiplier": int(c) / 100,
                           "display": fmt_multiplier(int(c) / 100)}
                          for h, c in zip(hashes[-SHOWN_ROUNDS:][::-1],
                                          cents[-SHOWN_ROUNDS:][::-1])],
        "result": {"rounds_played": played, "bets": bets, "wins": wins,
                   "final_wallet": engine.money(final), "net": engine.money(final - start),
                   "wagered": engine.money(res.wagered[0]),
                   "stop_reason": engine.STOP_REASONS[int(res.reason[0])],
                   "max_drawdown": engine.money(res.drawdown[0]),
                   "path_step": step, "path": path},
        "return_per_unit": {"realised": ret["realised"], "expected": ret["expected"]},
        "honesty": honesty(strategy.expected_return(), ret["realised"], None),
        "disclaimer": f"Paper money on a replayed chain. {NO_EDGE}",
    }


def _round_stats(cents: np.ndarray) -> dict:
    """Return how often the replayed rounds reached a few targets, next to 0.99 / m."""
    n = len(cents)
    out = {"n": n, "instant_crashes": int((cents == 100).sum()), "reach": {}}
    for m in REACH_TARGETS:
        k = int((cents >= m * 100).sum())
        out["reach"][f"{m}x"] = {"count": k, "rate": k / n, "ci95": list(wilson_interval(k, n)),
                                 "fair_chance": RTP / m}
    return out


# -- the simulator's job hooks (lottery.sim.jobs) ----------------------------------------
def validate(game: Game, body, settings) -> dict:
    """Check a replay body (SimInputError when unusable); return the body to queue (no seed)."""
    body = normalise_body(body)
    parse_replay(game, body)
    return body


def execute(r, settings, game: Game, body) -> dict:
    """Run a queued replay."""
    return run(parse_replay(game, body))
