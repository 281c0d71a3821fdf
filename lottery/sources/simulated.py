"""The simulated source: a provably fair feed on the game's own clock.

For each game there is a hash chain of seeds per chain span (a UTC day for a
period clock, a year for a draw calendar), one seed per issue:

    root      = HMAC-SHA256(key=server_secret, msg="{game}:{chain id}")
    seed[L]   = root                       (L = issues in the span)
    seed[n-1] = SHA256(seed[n])
    commitment[n] = SHA256(seed[n])        (= seed[n-1]; public before draw n)
    outcome[n] = the game's fair_outcome(seed[n], issue)  (WinGo: HMAC(seed, "{game}:{issue}") mod 10)

Seeds are revealed in increasing n, so a revealed seed lets anyone recompute
the earlier seeds of the span but never a later one; every draw's commitment
is published before its draw and equals the previous draw's revealed seed.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from lottery import keys
from lottery.games import Draw, Game, get_game


def commitment_of(seed_hex: str) -> str:
    """Return the commitment (SHA-256, hex) of a seed."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def recompute(seed_hex: str, game: Game, issue: str):
    """Return the outcome that a revealed seed gives for an issue (anyone can run this)."""
    return game.fair_outcome(bytes.fromhex(seed_hex), issue)


def hash_chain(last: bytes, length: int) -> tuple[bytes, ...]:
    """Return `length` hashes ending with `last`, each the SHA-256 of the one after it."""
    chain = [last]
    for _ in range(length - 1):
        chain.append(hashlib.sha256(chain[-1]).digest())
    chain.reverse()
    return tuple(chain)


@lru_cache(maxsize=8)
def _chain(secret: str, game_code: str, chain_id: str, length: int) -> tuple[bytes, ...]:
    """Return a span's seeds, index 0 = its first issue (cached: a chain costs `length` hashes)."""
    root = hmac.new(secret.encode(), f"{game_code}:{chain_id}".encode(), hashlib.sha256)
    return hash_chain(root.digest(), length)


class SimulatedSource:
    """Provably fair draws computed from a secret hash chain."""

    name = "simulated"

    def __init__(self, secret: str, backfill: int = 500, max_draws: int = 100_000,
                 connection=None):
        if not secret:
            raise ValueError("the simulated source needs a server secret")
        self._secret = secret
        self.backfill = backfill
        self.max_draws = max_draws
        self._connection = connection  # for feeds that pace rounds from stored ones
        self._feeds: dict = {}

    def _feed(self, game: Game):
        """Return the family's own feed for a game (crash rounds), or None."""
        if game.code not in self._feeds:
            make = game.sim_feed()
            self._feeds[game.code] = make and make(self._secret, game, self._connection,
                                                   self.backfill, self.max_draws)
        return self._feeds[game.code]

    def seed(self, game: Game, issue: str) -> str:
        """Return the (secret until drawn) seed of an issue, hex."""
        feed = self._feed(game)
        if feed is not None:
            return feed.seed(game, issue)
        first, last = game.schedule.chain_span(issue)
        chain = _chain(self._secret, game.code, game.schedule.chain_id(issue), last - first + 1)
        return chain[game.issue_ordinal(issue) - first].hex()

    def commitment(self, game: Game, issue: str) -> str:
        """Return the public commitment to an issue's seed."""
        feed = self._feed(game)
        if feed is not None:
            return feed.commitment(game, issue)
        return commitment_of(self.seed(game, issue))

    def draw(self, game: Game, issue: str) -> Draw:
        """Return the settled draw of an issue (only call once it is due)."""
        seed = self.seed(game, issue)
        return Draw(game=game.code, issue=issue, outcome=recompute(seed, game, issue),
                    drawn_at=game.draw_time(issue).isoformat(), source=self.name, seed=seed,
                    commitment=commitment_of(seed))

    def fetch(self, game: Game, after_issue: str | None, until_issue: str,
              now: datetime) -> list[Draw]:
        """Return every draw after `after_issue` up to `until_issue` (bounded back-fill)."""
        feed = self._feed(game)
        if feed is not None:
            return feed.fetch(game, after_issue, until_issue, now)
        until = game.issue_ordinal(until_issue)
        if game.draw_time(until_issue) > now:
            raise ValueError(f"{until_issue} is not drawn yet")
        if after_issue is None:
            start = until - max(self.backfill, 1) + 1  # at least the newest draw
        else:
            start = max(game.issue_ordinal(after_issue) + 1, until - self.max_draws + 1)
        floor = game.history_start()  # a calendar game's back-fill stays in the current era
        if floor is not None:
            start = max(start, game.issue_ordinal(floor))
        return [self.draw(game, game.issue_from_ordinal(o)) for o in range(max(start, 0), until + 1)]

    def can_backfill(self) -> bool:
        return True

    def close(self) -> None:
        pass


SECRET_FILE = "fair_secret"


def load_secret(settings, log=None) -> str:
    """Return the feed's secret: SIM_SERVER_SECRET, else a file in the data folder (0600).

    Only the draw worker calls this. The secret never goes to Redis: every reader
    of Redis (or of its append-only file) could otherwise compute future draws.
    """
    if settings.sim_secret:
        return settings.sim_secret
    from lottery.store.embedded import make_private_dir, write_private

    path = Path(settings.data_dir) / SECRET_FILE
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        secret = ""
    if not secret:
        make_private_dir(Path(settings.data_dir))
        secret = secrets.token_hex(32)
        write_private(path, secret + "\n")
        if log is not None:
            log.info("generated the simulated feed's secret in %s (owner-only)", path)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy restored with wider permissions is closed again
    return secret


def forget_shared_secret(r) -> bool:
    """Delete a secret an older version kept in Redis; return True if there was one."""
    return bool(r.delete(keys.LEGACY_SIM_SECRET))


def feed_facts(r, game_code: str) -> dict:
    """Return a feed's published facts (a crash chain's final hashes, its salt), decoded."""
    return {k.decode(): v.decode() for k, v in r.hgetall(keys.feed_info(game_code)).items()}


def verify_draw(record: dict, game_code: str, previous: dict | None = None,
                feed: dict | None = None) -> dict:
    """Check a stored simulated draw: commitment, recomputed outcome and chain link.

    `feed` holds the feed's published facts (keys.feed_info) for the family's own
    checks, such as a crash round's walk to its chain's published final hash.
    """
    seed = record.get("seed")
    if not seed:
        return {"verified": False, "reason": "this draw has no revealed seed (not simulated)"}
    game = get_game(game_code)
    recomputed = recompute(seed, game, record["issue"])
    commitment_ok = commitment_of(seed) == record.get("commitment")
    fields = game.encode_outcome(recomputed)
    matches = f"{next(iter(fields))}_matches" if len(fields) == 1 else "outcome_matches"
    out = {**{f"recomputed_{k}": v for k, v in fields.items()},
           "commitment_matches": commitment_ok,
           matches: recomputed == game.decode_outcome(record)}
    # Each span (a UTC day, a year) has its own chain: a link only exists within one.
    if (previous is not None and previous.get("seed")
            and game.same_chain(previous["issue"], record["issue"])):
        out["chain_link_matches"] = record.get("commitment") == previous["seed"]
    out.update(game.proof(record, feed or {}))
    out["verified"] = all(v for k, v in out.items() if k.endswith("_matches"))
    return out
