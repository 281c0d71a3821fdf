"""Crash rules: formula profiles against published vectors, the multiplier parser, hash chains,
the fair distribution, settlement, streak maths and scoring."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from lottery.games import crash
from lottery.games.base import MICRO
from lottery.games.crash import (PROFILES, TWO52, Crash, cents_from_r, get_profile, previous_hash,
                                 to_cents)

# -- known-answer vectors -------------------------------------------------------------------------
# bustabit v2, current chain (salt and formula: github.com/bustabit/verifier src/constants.ts and
# src/utils/math.ts). Game ids, hashes and busts as bustabit published them for three
# consecutive games (quoted in a public verification script, deduzzo/bustabit-scripts).
BUSTABIT_V2_GAMES = [
    (12306896, "94aa062026624e59a0ace092568d5f46e21b9bf1d5173609db8645dd62bdfc44", 10.91),
    (12306895, "94e66d98029c61ecd27c4fb6b381d401c823cf3dfbdac9246756d5b655e125aa", 4.26),
    (12306894, "8d3b9726ca7bc5e3637bf2079e09eaf2a9d67df4e6f50ff23a7b593bd802cca6", 1.83),
]
# bustabit v2, 2018 chain (salt of bitcointalk topic 2807542): the example of a public
# Rust verification crate's documentation.
BUSTABIT_V2_2018_GAME = ("5d07719b61b0abb6f1c3b17b1d69c838278f87f9b5e75077026e5fedf96c2eb2", 2055.9)


@pytest.mark.parametrize("game_id,round_hash,bust", BUSTABIT_V2_GAMES)
def test_bustabit_v2_published_games(game_id, round_hash, bust):
    profile = get_profile("bustabit_v2")
    assert profile.multiplier(round_hash) == bust
    assert profile.multiplier(round_hash.upper()) == bust


def test_bustabit_v2_message_is_the_hash_bytes_not_its_hex_text():
    import hashlib
    import hmac
    _, round_hash, bust = BUSTABIT_V2_GAMES[0]
    salt = PROFILES["bustabit_v2"].salt.encode()
    as_text = hmac.new(salt, round_hash.encode(), hashlib.sha256).hexdigest()
    assert cents_from_r(int(as_text[:13], 16)) / 100 != bust


def test_bustabit_v2_published_games_are_chain_links():
    # The previous game's hash is SHA256 of this game's 32 bytes on the current chain.
    for (_, newer, _), (_, older, _) in zip(BUSTABIT_V2_GAMES, BUSTABIT_V2_GAMES[1:]):
        assert previous_hash(newer, "bytes") == older
        assert crash.verify_link(newer, older, "bytes")
        assert not crash.verify_link(newer, older, "hex")
        assert PROFILES["bustabit_v2"].previous_hash(newer) == older


def test_bustabit_v2_2018_published_example():
    round_hash, bust = BUSTABIT_V2_2018_GAME
    assert get_profile("bustabit_v2_2018").multiplier(round_hash) == bust
    # Same formula, other salt: the profiles really differ.
    assert get_profile("bustabit_v2").multiplier(round_hash) != bust


def test_core_formula_worked_example():
    # r = 0x6b5124897c3c4: 99 / (1 - r/2^52) = 170.4566 -> 1.70x (a platform's published worked example).
    assert cents_from_r(0x6B5124897C3C4) == 170
    assert cents_from_r(0) == 100  # 99 / 1 -> below 1.00, shown as 1.00
    assert cents_from_r(TWO52 - 1) == 99 * TWO52  # the largest possible multiplier
    with pytest.raises(ValueError):
        cents_from_r(TWO52)


def _divisible_by_chunks(hex_text, mod):
    # bustabit v1 reads the hash four hex digits at a time (server/lib.js); this is that
    # reading, written independently, to check `int(h, 16) % mod` says the same.
    val, start = 0, len(hex_text) % 4
    chunks = ([hex_text[:start]] if start else []) + [
        hex_text[i:i + 4] for i in range(start, len(hex_text), 4)]
    for chunk in chunks:
        val = ((val << 16) + int(chunk, 16)) % mod
    return val == 0


@pytest.mark.parametrize("name,mod", [("bustabit_v1", 101), ("clone_33", 33), ("clone_25", 25)])
def test_v1_family_instant_crash_and_formula(name, mod):
    profile = get_profile(name)
    salt = profile.salt or "0000000000000000000aa1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6"
    chain = crash.generate_chain(b"v1 test chain", 4000, profile.link)
    instants = 0
    for h in chain:
        d = profile.digest(h, salt)
        assert profile.is_instant(h, salt) == _divisible_by_chunks(d, mod)
        cents = profile.cents(h, salt)
        if profile.is_instant(h, salt):
            instants += 1
            assert cents == 100
        else:
            r = int(d[:13], 16)
            assert cents == math.floor(Fraction(100 * TWO52 - r, TWO52 - r))
            assert cents >= 100
    # Instant crashes are 1 in `mod`: binomial, 5 standard deviations.
    n, p = len(chain), 1 / mod
    assert abs(instants - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    assert instants > 0


def test_v1_profile_constants_and_salt_rules():
    v1 = get_profile("bustabit_v1")
    assert v1.instant_mod == 101 and v1.link == "hex"
    assert v1.terminal_hash == "c1cfa8e28fc38999eaa888487e443bad50a65e0b710f649affa6718cfbfada4d"
    with pytest.raises(ValueError, match="salt"):
        get_profile("clone_33").multiplier("ab" * 32)
    with pytest.raises(KeyError, match="bustabit_v2"):
        get_profile("nope")
    with pytest.raises(ValueError):
        v1.multiplier("zz" * 32)
    with pytest.raises(ValueError):
        crash.Profile("bad", "bad", "v1", None, "hex")  # v1 needs its instant-crash mod


@pytest.mark.parametrize("name", ["bustabit_v1", "clone_33", "clone_25"])
def test_v1_family_reach_probability_matches_hashes(name):
    profile = get_profile(name)
    salt = profile.salt or "clone salt"
    chain = crash.generate_chain(b"reach", 20000, profile.link)
    n, p = len(chain), profile.reach_probability(2)
    hits = sum(profile.cents(h, salt) >= 200 for h in chain)
    assert abs(hits - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    # The instant crash is the house edge: below 0.99 for every clone.
    assert profile.expected_return(2) < 0.99
    assert profile.expected_return(2) == pytest.approx(2 * 99 / 199 * (1 - 1 / profile.instant_mod))


# -- the multiplier parser --------------------------------------------------------------------------
@given(st.integers(min_value=100, max_value=1_000_000_000))
def test_parser_round_trips_every_two_decimal_value(cents):
    text = f"{cents // 100}.{cents % 100:02d}"
    assert to_cents(text) == cents
    assert to_cents(text + "x") == cents
    assert to_cents(f"  {text}X ") == cents
    assert to_cents(cents / 100) == cents
    game = Crash()
    x = game.parse_outcome(text)
    assert game.decode_outcome(game.encode_outcome(x)) == x
    assert game.parse_outcome({"multiplier": text}) == x


@given(st.integers(min_value=1, max_value=10_000_000))
def test_parser_takes_whole_numbers(n):
    assert to_cents(n) == n * 100
    assert to_cents(str(n)) == n * 100


@given(st.one_of(
    st.booleans(), st.none(),
    st.floats(max_value=0.995, allow_nan=False),
    st.floats(min_value=10_000_000.01),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.integers(max_value=0), st.integers(min_value=10_000_001),
    st.lists(st.integers()), st.dictionaries(st.text(), st.integers()),
))
def test_parser_refuses_non_multipliers(raw):
    with pytest.raises(ValueError):
        crash.parse_multiplier(raw)
    with pytest.raises(ValueError):
        Crash().parse_outcome(raw)


@given(st.text().filter(lambda t: crash._NUMBER.fullmatch(t.strip()) is None
                      or not t.strip().isascii()))
def test_parser_refuses_text_that_is_not_a_plain_decimal(text):
    with pytest.raises(ValueError):
        to_cents(text)


@pytest.mark.parametrize("raw", ["0.99", "1.234", "1e3", "-2", "2,5", "nan", "inf", "", "x",
                                 "１.５", "1.", ".5", "10000000.01", "99999999999999999999"])
def test_parser_refuses_examples(raw):
    with pytest.raises(ValueError):
        to_cents(raw)


@given(st.floats(min_value=1.0, max_value=1e6).filter(
    lambda f: len(repr(f).partition(".")[2]) > 2 and "e" not in repr(f)))
def test_parser_refuses_floats_with_more_than_two_decimals(value):
    with pytest.raises(ValueError, match="two decimals"):
        to_cents(value)


def test_describe_and_schedule():
    game = Crash()
    assert game.code == "Crash" and game.family == "crash"
    assert game.describe(10.0) == {"multiplier": 10.0, "display": "10.00x", "reached": [
        "reach_1.5x", "reach_2x", "reach_3x", "reach_5x", "reach_10x"]}
    assert game.describe(1.0)["reached"] == []
    assert game.next_issue("41") == "42" and game.previous_issue("42") == "41"
    assert game.canonical_issue(" 7 ") == "7"
    assert game.draw_time("7") is None and game.issue_at(None) is None
    with pytest.raises(ValueError):
        game.canonical_issue("7a")
    assert game.raw_outcome({"round_id": "1", "multiplier": "2.5"}) == "2.5"


# -- the fair distribution ----------------------------------------------------------------------------
@given(st.integers(min_value=101, max_value=1_000_000_000))
def test_reach_probability_is_exact_and_0_99_over_m(cents):
    # The exact threshold: r reaches `cents` from r_c on, and r_c - 1 does not.
    r_c = TWO52 - (99 * TWO52) // cents
    assert cents_from_r(r_c) >= cents
    if r_c > 0:
        assert cents_from_r(r_c - 1) < cents
    p = crash.reach_probability(cents / 100)
    assert p == Fraction(TWO52 - r_c, TWO52)
    assert abs(p - Fraction(99, cents)) < Fraction(1, TWO52)


@given(st.integers(min_value=0, max_value=TWO52 - 1), st.integers(min_value=1, max_value=1 << 20))
def test_formula_is_monotone_in_r(r, step):
    assert cents_from_r(r) <= cents_from_r(min(TWO52 - 1, r + step))


def test_instant_crash_share():
    assert float(crash.instant_crash_probability()) == pytest.approx(1 - 0.99 / 1.01, abs=1e-15)
    assert 0.0198 < float(crash.instant_crash_probability()) < 0.0199


@given(st.integers(min_value=101, max_value=10_000_000))
def test_every_cashout_returns_0_99_exactly(cents):
    # Exactly m * P(X >= m): never above 0.99, below it by less than m / 2^52 (the 52-bit grid).
    exact = Fraction(cents, 100) * crash.reach_probability(cents / 100)
    assert Fraction(99, 100) - Fraction(cents, 100 * TWO52) < exact <= Fraction(99, 100)
    assert crash.cashout_return(cents / 100) == pytest.approx(float(exact), rel=1e-15)


def test_sampler_applies_the_formula_to_uniform_52_bit_draws():
    n = 10_000
    got = crash.sample_multipliers(np.random.default_rng(7), n, cents=True)
    r = np.random.default_rng(7).integers(0, TWO52, size=n, dtype=np.int64)
    assert got.tolist() == [cents_from_r(int(v)) for v in r]
    floats = crash.sample_multipliers(np.random.default_rng(7), n)
    assert np.array_equal(floats, got / 100.0)


def test_sampled_reach_rates_and_returns_agree_with_the_null():
    n = 400_000
    cents = crash.sample_multipliers(np.random.default_rng(2024), n, cents=True)
    for target in (1.01, 1.5, 2, 3, 5, 10, 100):
        c = round(target * 100)
        p = 0.99 / target
        hits = int((cents >= c).sum())
        assert abs(hits - n * p) <= 5 * math.sqrt(n * p * (1 - p)), target
        # Payback per unit: mean of m * 1[X >= m]; its sd is m * sqrt(p(1-p)).
        payback = target * hits / n
        assert abs(payback - 0.99) <= 5 * target * math.sqrt(p * (1 - p) / n), target
    assert abs((cents == 100).mean() - 0.0198) <= 5 * math.sqrt(0.0198 * 0.98 / n)


@given(st.integers(min_value=101, max_value=100_000), st.integers(min_value=100, max_value=10**9),
       st.floats(min_value=0.01, max_value=1e6))
def test_settle_pays_target_times_stake_when_reached(target, x, stake):
    paid = crash.settle(f"{target / 100:.2f}", stake, x / 100)
    assert paid == (pytest.approx(stake * target / 100) if x >= target else 0.0)
    assert Crash().settle(f"reach_{target / 100:g}x", stake, x / 100) == paid


def test_bets_and_their_expected_return():
    game = Crash()
    assert game.bets == ("1.5x", "2x", "3x", "5x", "10x", "100x")
    for bet in game.bets:
        assert game.expected_return(bet) == pytest.approx(0.99, abs=1e-12)
    assert game.settle("2x", 10, 2.0) == 20.0 and game.settle("2x", 10, 1.99) == 0.0
    for bad in ("1.00", "1", "0.5", "abc", True):
        with pytest.raises(ValueError):
            game.settle(bad, 1, 5.0)


# -- hash chains ---------------------------------------------------------------------------------
@settings(max_examples=30)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=40),
       st.sampled_from(["bytes", "hex"]))
def test_generated_chain_links_and_terminal(seed, n, link):
    chain = crash.generate_chain(seed, n, link)
    assert len(chain) == n and len(set(chain)) == n
    terminal = crash.published_hash(chain, link)
    for i in range(1, n):
        assert crash.verify_link(chain[i], chain[i - 1], link)
        assert not crash.verify_link(chain[i - 1], chain[i], link)
    for position, h in enumerate(chain, start=1):
        assert crash.verify_round(h, position, terminal, link)
        assert not crash.verify_round(h, position + 1, terminal, link)
    other = "bytes" if link == "hex" else "hex"
    assert not crash.verify_round(chain[-1], n, terminal, other) or n == 0


def test_chain_helpers_refuse_bad_input():
    with pytest.raises(ValueError):
        previous_hash("abc")
    with pytest.raises(ValueError):
        previous_hash("ab" * 32, "base64")
    with pytest.raises(ValueError):
        crash.generate_chain(b"x", 0)
    with pytest.raises(ValueError):
        crash.verify_round("ab" * 32, 0, "ab" * 32)


def test_fair_outcome_of_a_simulated_chain_is_verifiable():
    game = Crash()
    chain = crash.generate_chain(b"terminal secret", 5)
    for round_id, h in enumerate(chain, start=1):
        x = game.fair_outcome(bytes.fromhex(h), str(round_id))
        assert x == game.profile.multiplier(h)
        # Anyone recomputes it from the public salt and the revealed hash.
        import hashlib
        import hmac
        d = hmac.new(game.salt.encode(), bytes.fromhex(h), hashlib.sha256).hexdigest()
        assert x == max(1.0, math.floor(99 * TWO52 / (TWO52 - int(d[:13], 16))) / 100)
    assert "HMAC_SHA256" in game.fair_formula() and game.salt in game.fair_formula()


# -- streaks --------------------------------------------------------------------------------------------
def test_streak_lengths_example():
    seq = [1.2, 10.0, 3, 2, 15.5, 1.5]
    assert crash.streak_lengths(seq, 10) == ([2, 3], 1)
    assert crash.current_run(seq, 10) == 1
    assert crash.current_run([], 10) == 0
    assert crash.current_run([1.0, 1.5], 2) == 2
    assert crash.streak_lengths(seq, 2) == ([2, 1, 1, 1], 1)


@given(st.lists(st.integers(min_value=100, max_value=100_000), max_size=200),
       st.sampled_from([2, 10, 100]))
def test_streak_lengths_partition_the_rounds(cents, threshold):
    xs = [c / 100 for c in cents]
    lengths, run = crash.streak_lengths(xs, threshold)
    assert sum(lengths) + run == len(xs)
    assert run == crash.current_run(xs, threshold)
    pos = 0
    for s in lengths:
        streak = cents[pos:pos + s]
        assert streak[-1] >= threshold * 100 and all(c < threshold * 100 for c in streak[:-1])
        pos += s
    assert all(c < threshold * 100 for c in cents[pos:])


@given(st.floats(min_value=0.001, max_value=0.999), st.integers(min_value=2, max_value=200))
def test_geometric_distribution(p, buckets):
    probs = crash.streak_bucket_probs(p, buckets)
    assert sum(probs) == pytest.approx(1.0, abs=1e-9)
    for k in range(1, buckets):
        assert crash.geometric_cdf(k, p) == pytest.approx(sum(probs[:k]), abs=1e-9)
        assert crash.geometric_sf(k + 1, p) == pytest.approx(1 - crash.geometric_cdf(k, p), abs=1e-9)
        # Memoryless: the hazard of the geometric is p whatever the run (while the tail
        # is a normal float, not an underflowed one).
        if crash.geometric_sf(k, p) > 1e-250:
            assert crash.streak_hazard(probs, k - 1) == pytest.approx(p)
    assert crash.streak_hazard(probs, buckets - 1) is None
    assert sum(crash.expected_streak_counts(1000, p, buckets)) == pytest.approx(1000)


def test_simulated_streaks_are_geometric_and_memoryless():
    cents = crash.sample_multipliers(np.random.default_rng(99), 300_000, cents=True)
    xs = (cents / 100).tolist()
    lengths, _ = crash.streak_lengths(xs, 10)
    p = crash.streak_p(10)
    assert p == pytest.approx(0.099)
    mean, n = float(np.mean(lengths)), len(lengths)
    sd = math.sqrt((1 - p) / p ** 2)
    assert abs(mean - 1 / p) <= 5 * sd / math.sqrt(n)
    buckets = 30
    observed = crash.streak_histogram(lengths, buckets)
    expected = crash.expected_streak_counts(n, p, buckets)
    assert sum(observed) == n
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    # After 20 rounds without a 10x the next round reaches 10x with the same 9.9%.
    long_runs = [i for i in range(20, len(cents)) if (cents[i - 20:i] < 1000).all()]
    hits = int((cents[long_runs] >= 1000).sum())
    m = len(long_runs)
    assert abs(hits - m * p) <= 5 * math.sqrt(m * p * (1 - p))


def test_streak_helpers_refuse_bad_thresholds_and_lengths():
    with pytest.raises(ValueError):
        crash.current_run([2.0], 1.0)
    with pytest.raises(ValueError):
        crash.streak_histogram([0])


# -- markets, predictions and scoring ---------------------------------------------------------------------
def test_markets():
    game = Crash()
    names = game.market_names
    assert names == ("reach_1.5x", "reach_2x", "reach_3x", "reach_5x", "reach_10x", "reach_100x",
                     "streak_10x")
    for target in crash.TARGETS:
        m = game.market(crash.reach_market_name(target))
        assert m.chance == pytest.approx(0.99 / target)
        assert m.break_even == pytest.approx(1 / target)
        p = 0.99 / target
        assert m.baseline[0] == pytest.approx(-(p * math.log(p) + (1 - p) * math.log(1 - p)))
        assert m.baseline[1] == pytest.approx(p * (1 - p))
    assert game.market("streak_10x").chance == pytest.approx(0.099)


def test_normalise_prediction():
    game = Crash()
    pred = game.normalise_prediction({"calls": ["2x", 10], "reach_p": {"reach_2x": 0.5123456789},
                                      "rule": "demo"})
    assert pred == {"calls": ["reach_2x", "reach_10x"], "reach_p": {"reach_2x": 0.512346},
                    "rule": "demo"}
    assert game.markets_of(pred) == ("reach_2x", "reach_10x")
    for bad in ({}, {"calls": ["7x"]}, {"calls": "2x"}, {"reach_p": {"reach_7x": 0.1}},
                {"reach_p": {"reach_2x": 1.5}}, {"reach_p": {"reach_2x": True}},
                {"reach_p": [0.5]}, {"streak_10x": {"run": -1, "probs": [1] * 50}},
                {"streak_10x": {"run": 0, "probs": [1] * 49}},
                {"streak_10x": {"run": True, "probs": [1] * 50}}, {"streak_10x": [0.1]}):
        with pytest.raises(ValueError):
            game.normalise_prediction(bad)


def test_score_reach_markets():
    game = Crash()
    pred = game.normalise_prediction({"calls": [2], "reach_p": {"reach_10x": 0.2}})
    assert game.score(pred, 2.0) == {
        "reach_2x": (1, None, None),
        "reach_10x": (0, round(-math.log(0.8) * MICRO), round(0.2 ** 2 * MICRO))}
    assert game.score(pred, 1.99)["reach_2x"] == (0, None, None)
    assert game.score(pred, 10.0)["reach_10x"] == (1, round(-math.log(0.2) * MICRO),
                                                    round(0.8 ** 2 * MICRO))
    assert game.hit_picks(pred) == {"reach_2x": None, "reach_10x": 0.2}


def test_null_prediction_scores_the_baseline_on_average():
    game = Crash()
    pred = game.normalise_prediction(crash.null_prediction())
    assert set(game.markets_of(pred)) == set(game.market_names)
    cents = crash.sample_multipliers(np.random.default_rng(5), 20_000, cents=True)
    totals = {m: 0 for m in game.market_names}
    for c in cents.tolist():
        for m, (_, ll, _) in game.score(pred, c / 100).items():
            totals[m] += ll
    for m in ("reach_2x", "reach_10x", "streak_10x"):
        p = game.market(m).chance
        mean = totals[m] / MICRO / len(cents)
        # Log loss per round has sd |ln(p/(1-p))| sqrt(p(1-p)).
        sd = abs(math.log(p / (1 - p))) * math.sqrt(p * (1 - p) / len(cents))
        assert abs(mean - game.market(m).baseline[0]) <= 5 * sd, m


@given(st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=50, max_size=50),
       st.integers(min_value=1, max_value=80))
def test_streak_score_sums_to_the_log_loss_of_the_streak_length(weights, length):
    # One fixed distribution scored round by round over a streak of `length` rounds adds up
    # (chain rule) to -ln P(S = length), or -ln P(S >= 50) once inside the open last bucket.
    game = Crash()
    probs = game.normalise_prediction({"streak_10x": {"run": 0, "probs": weights}})["streak_10x"]["probs"]
    total, scored = 0, 0
    for run in range(length):
        pred = {"streak_10x": {"run": run, "probs": probs}}
        x = 10.0 if run == length - 1 else 9.99
        if "streak_10x" not in game.markets_of(pred):
            assert run >= 49
            continue
        hit, ll, _ = game.score(pred, x)["streak_10x"]
        assert hit == (x >= 10)
        total += ll
        scored += 1
    # The stored probabilities are rounded to 6 decimals; the hazards use them as they sum.
    target = (probs[length - 1] if length < 50 else sum(probs[49:])) / sum(probs)
    assert total / MICRO == pytest.approx(-math.log(target), abs=scored * 1e-6 + 1e-9)


def test_streak_market_when_the_distribution_ruled_the_streak_out():
    game = Crash()
    probs = [1.0] + [0.0] * 49  # "the streak ends on its first round"
    pred = {"streak_10x": {"run": 3, "probs": probs}}
    assert game.markets_of(pred) == ("streak_10x",)
    hit, ll, br = game.score(pred, 12.0)["streak_10x"]
    assert hit == 1 and ll == round(-math.log(crash.P_FLOOR) * MICRO) and br == MICRO
