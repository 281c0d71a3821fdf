"""The simulated source is provably fair: anyone can recompute a digit with the stdlib."""
import argparse
import hashlib
import hmac
from datetime import datetime, timezone

from hypothesis import given, settings as hsettings, strategies as st

from lottery.games import get_game
from lottery.commands import verify as verify_command
from lottery.sources import simulated
from lottery.sources.simulated import SimulatedSource, recompute, verify_draw
from lottery.store import draws

GAME = get_game("WinGo_1M")
NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=timezone.utc)


def independent_digit(seed_hex: str, game: str, issue: str) -> int:
    # Written from the README's formula, not from the package.
    mac = hmac.new(bytes.fromhex(seed_hex), f"{game}:{issue}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac, "big") % 10


def test_digit_matches_readme_formula_and_chain_links():
    src = SimulatedSource("fixed-secret", backfill=30)
    got = src.fetch(GAME, None, GAME.last_settled_issue(NOW), NOW)
    assert len(got) == 30
    for prev, cur in zip(got, got[1:]):
        assert independent_digit(cur.seed, "WinGo_1M", cur.issue) == cur.outcome
        assert hashlib.sha256(bytes.fromhex(cur.seed)).hexdigest() == cur.commitment
        # The commitment published before a draw is the seed revealed by the draw before.
        assert cur.commitment == prev.seed
    # The day's root is HMAC(secret, "game:date"): the last period's seed.
    root = hmac.new(b"fixed-secret", b"WinGo_1M:20260301", hashlib.sha256).digest()
    last = GAME.make_issue(NOW.date(), GAME.periods_per_day)
    assert src.seed(GAME, last) == root.hex()


def test_future_draws_are_refused_and_commitment_precedes_seed():
    src = SimulatedSource("s")
    open_issue = GAME.issue_at(NOW)
    try:
        src.fetch(GAME, None, open_issue, NOW)
    except ValueError as exc:
        assert "not drawn yet" in str(exc)
    else:
        raise AssertionError("an undrawn issue was served")
    assert src.commitment(GAME, open_issue) == hashlib.sha256(
        bytes.fromhex(src.seed(GAME, open_issue))).hexdigest()


@hsettings(max_examples=50, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), seq=st.integers(1, 1440))
def test_recompute_matches_independent_code(seed, seq):
    issue = GAME.make_issue(NOW.date(), seq)
    assert recompute(seed.hex(), GAME, issue) == independent_digit(seed.hex(), "WinGo_1M", issue)


def test_digits_look_uniform_over_a_day():
    src = SimulatedSource("uniformity")
    day = [src.draw(GAME, GAME.make_issue(NOW.date(), n)).outcome for n in range(1, 1441)]
    counts = [day.count(d) for d in range(10)]
    assert all(100 < c < 190 for c in counts), counts  # 144 expected; 6 sigma bounds


def test_verify_detects_tampering():
    src = SimulatedSource("tamper")
    a, b = (src.draw(GAME, GAME.make_issue(NOW.date(), n)) for n in (5, 6))
    rec_a = {"issue": a.issue, **a.to_record(GAME)}
    rec_b = {"issue": b.issue, **b.to_record(GAME)}
    assert verify_draw(rec_b, "WinGo_1M", rec_a)["verified"]
    forged = {**rec_b, "number": (rec_b["number"] + 1) % 10}
    assert not verify_draw(forged, "WinGo_1M", rec_a)["verified"]
    relinked = {**rec_b, "commitment": "00" * 32}
    assert not verify_draw(relinked, "WinGo_1M", rec_a)["verified"]


def test_verify_command(r, settings, capsys):
    src = SimulatedSource(settings.sim_secret, backfill=5)
    stored = draws.add_draws(r, GAME, src.fetch(GAME, None, GAME.last_settled_issue(NOW), NOW), 1000)
    issue = stored[-1].issue
    ns = argparse.Namespace(issue=issue, game="WinGo_1M")
    assert verify_command.run(ns, settings) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out and f"recomputed {independent_digit(stored[-1].seed, 'WinGo_1M', issue)}" in out
    # Tamper with the stored digit: verify must fail loudly.
    import json
    from lottery import keys
    rec = json.loads(r.hget(keys.draws_data("WinGo_1M"), issue))
    rec["number"] = (rec["number"] + 1) % 10
    r.hset(keys.draws_data("WinGo_1M"), issue, json.dumps(rec))
    assert verify_command.run(ns, settings) == 1
    assert "NOT VERIFIED" in capsys.readouterr().out
    assert verify_command.run(argparse.Namespace(issue="20260301100019999", game="WinGo_1M"), settings) == 2
    assert verify_command.run(argparse.Namespace(issue=GAME.make_issue(NOW.date(), 1), game="WinGo_1M"), settings) == 2


def test_the_worker_keeps_the_secret_in_an_owner_only_file_never_in_redis(r, settings):
    import stat

    from lottery import keys
    from lottery.worker import build_source

    r.set(keys.LEGACY_SIM_SECRET, "leaked-by-an-old-version")
    s = settings.with_(sim_secret=None)
    source = build_source(s, r)
    path = s.data_dir / simulated.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(s.data_dir.stat().st_mode) == 0o700
    secret = path.read_text().strip()
    assert source._secret == secret and len(secret) == 64
    assert not r.exists(keys.LEGACY_SIM_SECRET)  # the old copy is gone
    assert r.dbsize() == 0  # nothing about the secret was written
    # The same secret next time (a restart keeps the chains), the file closed again if opened.
    path.chmod(0o644)
    assert build_source(s, r)._secret == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # SIM_SERVER_SECRET wins and writes no file.
    other = settings.with_(data_dir=s.data_dir.parent / "other")
    assert build_source(other, r)._secret == "test-secret"
    assert not (other.data_dir / simulated.SECRET_FILE).exists()
