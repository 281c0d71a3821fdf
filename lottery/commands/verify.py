"""`python -m lottery verify ISSUE --game G`: recompute a stored simulated draw from its revealed seed."""
from __future__ import annotations

import sys

from lottery.config import DEFAULT_GAME
from lottery.games import get_game
from lottery.sources.simulated import feed_facts, verify_draw
from lottery.store import draws
from lottery.store.connection import connect
from lottery.store.embedded import resolve_redis_url


def add_arguments(parser) -> None:
    parser.add_argument("issue", help="the issue number (or round id) to verify")
    parser.add_argument("--game", default=DEFAULT_GAME, help=f"game code (default {DEFAULT_GAME})")


def run(args, settings) -> int:
    """Recompute a stored simulated draw from its revealed seed and report the checks."""
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
    result = verify_draw(record, game.code, prev, feed_facts(r, game.code))
    print(f"game {game.code} issue {args.issue}")
    print(f"  seed        {record.get('seed')}")
    print(f"  commitment  {record.get('commitment')}")
    stored = game.encode_outcome(game.decode_outcome(record))
    for field, value in stored.items():
        print(f"  stored {field} {value}, recomputed {result.get('recomputed_' + field)}")
    for name in ("terminal_hash", "chain_position"):
        if name in result:
            print(f"  {name.replace('_', ' '):<11} {result[name]}")
    for check in [k for k in result if k.endswith("_matches")]:
        print(f"  {check.replace('_', ' ')}: {'yes' if result[check] else 'NO'}")
    print("VERIFIED" if result["verified"] else f"NOT VERIFIED {result.get('reason', '')}")
    return 0 if result["verified"] else 1
