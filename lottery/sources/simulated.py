"""The simulated source: a provably fair feed on the real period clock.

For each game and UTC day there is a hash chain of seeds, one per period:

    root      = HMAC-SHA256(key=server_secret, msg="{game}:{YYYYMMDD}")
    seed[L]   = root                       (L = periods per day)
    seed[n-1] = SHA256(seed[n])
    commitment[n] = SHA256(seed[n])        (= seed[n-1]; public before draw n)
    digit[n]  = int(HMAC-SHA256(key=seed[n], msg="{game}:{issue}"), big-endian) mod 10

Seeds are revealed in increasing n, so a revealed seed lets anyone recompute
the earlier seeds of the day but never a later one; every draw's commitment
is published before its draw and equals the previous draw's revealed seed.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from lottery import keys
from lottery.games import WinGo, get_game
from lottery.sources.base import Draw

FORMULA = ("digit = int.from_bytes(HMAC_SHA256(key=seed, msg=f'{game}:{issue}'), 'big') % 10; "
           "commitment = SHA256(seed), published before the draw; "
           "SHA256(seed of period n) = seed of period n-1 (a hash chain per UTC day)")


def recompute_digit(seed_hex: str, game_code: str, issue: str) -> int:
    """Return the digit that a revealed seed gives for an issue (anyone can run this)."""
    mac = hmac.new(bytes.fromhex(seed_hex), f"{game_code}:{issue}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest(), "big") % 10


def commitment_of(seed_hex: str) -> str:
    """Return the commitment (SHA-256, hex) of a seed."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


@lru_cache(maxsize=8)
def _day_chain(secret: str, game_code: str, day: str, length: int) -> tuple[bytes, ...]:
    """Return the day's seeds, index 0 = period 1 (cached: a chain costs `length` hashes)."""
    seed = hmac.new(secret.encode(), f"{game_code}:{day}".encode(), hashlib.sha256).digest()
    chain = [seed]
    for _ in range(length - 1):
        seed = hashlib.sha256(seed).digest()
        chain.append(seed)
    chain.reverse()
    return tuple(chain)


class SimulatedSource:
    """Provably fair draws computed from a secret hash chain."""

    name = "simulated"

    def __init__(self, secret: str, backfill: int = 500, max_draws: int = 100_000):
        if not secret:
            raise ValueError("the simulated source needs a server secret")
        self._secret = secret
        self.backfill = backfill
        self.max_draws = max_draws

    def seed(self, game: WinGo, issue: str) -> str:
        """Return the (secret until drawn) seed of an issue, hex."""
        day, seq = game.parse_issue(issue)
        chain = _day_chain(self._secret, game.code, f"{day:%Y%m%d}", game.periods_per_day)
        return chain[seq - 1].hex()

    def commitment(self, game: WinGo, issue: str) -> str:
        """Return the public commitment to an issue's seed."""
        return commitment_of(self.seed(game, issue))

    def draw(self, game: WinGo, issue: str) -> Draw:
        """Return the settled draw of an issue (only call once it is due)."""
        seed = self.seed(game, issue)
        return Draw(game=game.code, issue=issue, number=recompute_digit(seed, game.code, issue),
                    drawn_at=game.draw_time(issue).isoformat(), source=self.name, seed=seed,
                    commitment=commitment_of(seed))

    def fetch(self, game: WinGo, after_issue: str | None, until_issue: str,
              now: datetime) -> list[Draw]:
        """Return every draw after `after_issue` up to `until_issue` (bounded back-fill)."""
        until = game.issue_ordinal(until_issue)
        if game.draw_time(until_issue) > now:
            raise ValueError(f"{until_issue} is not drawn yet")
        if after_issue is None:
            start = until - max(self.backfill, 1) + 1  # at least the newest draw
        else:
            start = max(game.issue_ordinal(after_issue) + 1, until - self.max_draws + 1)
        return [self.draw(game, game.issue_from_ordinal(o)) for o in range(start, until + 1)]

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


def verify_draw(record: dict, game_code: str, previous: dict | None = None) -> dict:
    """Check a stored simulated draw: commitment, recomputed digit and chain link."""
    seed = record.get("seed")
    if not seed:
        return {"verified": False, "reason": "this draw has no revealed seed (not simulated)"}
    recomputed = recompute_digit(seed, game_code, record["issue"])
    commitment_ok = commitment_of(seed) == record.get("commitment")
    out = {"recomputed_number": recomputed, "commitment_matches": commitment_ok,
           "number_matches": recomputed == record["number"]}
    game = get_game(game_code)
    # Each UTC day has its own chain: the link only exists between periods of one day.
    if (previous is not None and previous.get("seed")
            and game.parse_issue(previous["issue"])[0] == game.parse_issue(record["issue"])[0]):
        out["chain_link_matches"] = record.get("commitment") == previous["seed"]
    out["verified"] = all(v for k, v in out.items() if k.endswith("_matches"))
    return out


# -- CLI: python -m lottery verify ISSUE --game G ---------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("issue", help="the issue number to verify")
    parser.add_argument("--game", default="WinGo_1M", help="game code (default WinGo_1M)")


def run(args, settings) -> int:
    """Recompute a stored simulated draw from its revealed seed and report the checks."""
    from lottery.store import draws
    from lottery.store.connection import connect
    from lottery.store.embedded import resolve_redis_url

    try:
        game = get_game(args.game)
        game.parse_issue(args.issue)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    url = resolve_redis_url(settings)
    if url is None:
        print("error: REDIS_URL is not set and no local server is running "
              "(start one with: python -m lottery up)", file=sys.stderr)
        return 2
    r = connect(url)
    record = draws.get_draw(r, game.code, args.issue)
    if record is None:
        print(f"error: no settled draw {args.issue} for {game.code}", file=sys.stderr)
        return 2
    prev = draws.get_draw(r, game.code, game.previous_issue(args.issue))
    result = verify_draw(record, game.code, prev)
    print(f"game {game.code} issue {args.issue}")
    print(f"  seed        {record.get('seed')}")
    print(f"  commitment  {record.get('commitment')}")
    print(f"  stored digit {record['number']}, recomputed {result.get('recomputed_number')}")
    for check in ("commitment_matches", "number_matches", "chain_link_matches"):
        if check in result:
            print(f"  {check.replace('_', ' ')}: {'yes' if result[check] else 'NO'}")
    print("VERIFIED" if result["verified"] else f"NOT VERIFIED {result.get('reason', '')}")
    return 0 if result["verified"] else 1
