"""The simulated crash feed: provably fair rounds from a hash chain, paced like the real game.

Chain k (rounds k*L+1 .. (k+1)*L, L = the game's chain length) is made from
the worker's secret, and its rounds are played from the end backwards:

    hash[L]   = SHA256(HMAC-SHA256(key=server_secret, msg="{game}:chain:{k}"))
    hash[i-1] = SHA256(hash[i])                 (32 bytes each)
    final hash (published before round 1 of the chain) = SHA256(hash[1])
    multiplier[i] = the bustabit v2 formula on hash[i] with the game's public salt

so each round's commitment, SHA256(hash[i]), is the previous round's revealed
hash, and anyone can walk a revealed hash forward to the published final hash.
Redis holds only the published final hashes, commitments and revealed hashes;
the secret stays in the worker (SIM_SERVER_SECRET or the owner-only file).

Pacing: a round takes a betting phase, then a flight whose length grows with
the multiplier (bustabit's curve X(t) = e^(0.06 t), t in seconds), then a short
pause showing the crash. Round n+1 ends `duration(n+1)` after round n did; a
first start back-fills rounds ending now.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from lottery import keys
from lottery.games import Draw
from lottery.games.crash import Crash, published_hash
from lottery.sources.simulated import hash_chain
from lottery.store import as_str, draws

BETTING_SECONDS = 5.0
GROWTH_PER_SECOND = 0.06  # X(t) = e^(0.06 t): 2x after 11.6 s, 10x after 38 s, 100x after 77 s
CRASH_PAUSE_SECONDS = 3.0
FETCH_MAX = 10_000  # rounds per fetch when catching up after a long stop


def round_seconds(multiplier: float) -> float:
    """Return how long a round with this multiplier takes: betting, flight, pause."""
    return BETTING_SECONDS + math.log(max(multiplier, 1.0)) / GROWTH_PER_SECOND \
        + CRASH_PAUSE_SECONDS


@lru_cache(maxsize=4)
def _chain(secret: str, game_code: str, index: int, length: int) -> tuple[bytes, ...]:
    """Return chain `index`'s round hashes in play order (cached: a chain costs `length` hashes)."""
    root = hmac.new(secret.encode(), f"{game_code}:chain:{index}".encode(), hashlib.sha256)
    return hash_chain(hashlib.sha256(root.digest()).digest(), length)


class CrashFeed:
    """Rounds of one crash game from the secret hash chains (built by the simulated source)."""

    def __init__(self, secret: str, game: Crash, connection, backfill: int = 500,
                 max_draws: int = 100_000):
        self._secret = secret
        self.game = game
        self.r = connection
        self.backfill = max(backfill, 1)
        self.max_draws = max_draws

    # -- the chain -------------------------------------------------------------------
    def _round_hash(self, n: int) -> bytes:
        first, _ = self.game.schedule.chain_span(str(n))
        chain = _chain(self._secret, self.game.code, self.game.schedule.chain_index(str(n)),
                       self.game.schedule.chain_length)
        return chain[n - first]

    def seed(self, game, issue: str) -> str:
        """Return the round's hash (secret until the round is played), hex."""
        return self._round_hash(self.game.issue_ordinal(issue)).hex()

    def commitment(self, game, issue: str) -> str:
        """Return SHA256(round hash): the previous round's hash, or the chain's final hash."""
        return hashlib.sha256(self._round_hash(self.game.issue_ordinal(issue))).hexdigest()

    def final_hash(self, index: int) -> str:
        """Return the published final hash of chain `index`."""
        first = index * self.game.schedule.chain_length + 1
        return published_hash([self._round_hash(first).hex()])

    def publish(self, issue: str) -> None:
        """Publish (once) the final hash of the chain a round belongs to, with the public facts."""
        index = self.game.schedule.chain_index(issue)
        key = keys.feed_info(self.game.code)
        if self.r.hexists(key, f"terminal:{index}"):
            return
        self.r.hset(key, mapping={
            f"terminal:{index}": self.final_hash(index), "salt": self.game.salt,
            "profile": "bustabit_v2", "chain_length": self.game.schedule.chain_length,
            "link": "sha256(32 bytes)"})

    # -- rounds ------------------------------------------------------------------------
    def multiplier(self, n: int) -> float:
        """Return round n's multiplier."""
        return self.game.fair_outcome(self._round_hash(n), str(n))

    def draw(self, n: int, ended: datetime) -> Draw:
        h = self._round_hash(n)
        return Draw(game=self.game.code, issue=str(n), outcome=self.game.fair_outcome(h, str(n)),
                    drawn_at=ended.isoformat(), source="simulated", seed=h.hex(),
                    commitment=hashlib.sha256(h).hexdigest())

    def fetch(self, game, after_issue: str | None, until_issue: str | None,
              now: datetime) -> list[Draw]:
        """Return the rounds ended after `after_issue` by `now` (first start: the back-fill)."""
        now = now.astimezone(timezone.utc)
        if after_issue is None:
            self.publish("1")
            count = min(self.backfill, self.max_draws)
            spans = [round_seconds(self.multiplier(n)) for n in range(1, count + 1)]
            ended = now - timedelta(seconds=sum(spans))
            out = []
            for n, span in enumerate(spans, start=1):
                ended += timedelta(seconds=span)
                out.append(self.draw(n, ended))
            self.publish(str(count + 1))
            return out
        last = self.game.issue_ordinal(after_issue)
        ended = self._ended_at(after_issue, now)
        out = []
        n = last + 1
        while len(out) < FETCH_MAX:
            self.publish(str(n))  # before the round is played: its chain's final hash is public
            x = self.multiplier(n)
            end = ended + timedelta(seconds=round_seconds(x))
            if end > now:
                break
            out.append(self.draw(n, end))
            ended, n = end, n + 1
        return out

    def _ended_at(self, issue: str, now: datetime) -> datetime:
        record = draws.get_draw(self.r, self.game.code, issue)
        try:
            when = datetime.fromisoformat(as_str(record["drawn_at"]))
        except (TypeError, KeyError, ValueError):
            return now  # an imported round without a time: the feed goes on from now
        return when.astimezone(timezone.utc)
