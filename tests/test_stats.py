"""Statistics and scoring, checked against values worked out independently here."""
import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats as sst

from lottery.evaluation import scoreboard
from lottery.evaluation.wingo_audit import audit_digits
from lottery.evaluation.scoring import MICRO, MarketTotals, streaks_of
from lottery.games import get_game
from lottery.games.wingo import normalise, score
from lottery.evaluation.stats import (binomial_p_value, binomial_p_values, chi_square_uniform, holm,
                                      independence_test, rate_summary, runs_test,
                                      wilson_interval)

Z = 1.959963984540054


def test_wilson_interval_hand_worked():
    # 8 hits in 10: centre (0.8 + z^2/20) / (1 + z^2/10), half-width
    # z sqrt(0.8*0.2/10 + z^2/400) / (1 + z^2/10)  ->  0.4902 .. 0.9433.
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.490163, abs=1e-6)
    assert hi == pytest.approx(0.943318, abs=1e-6)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(Z**2 / (20 + Z**2), abs=1e-9)


@given(n=st.integers(1, 5000), data=st.data())
def test_wilson_endpoints_solve_the_score_equation(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n)
    p_hat = k / n
    assert lo <= p_hat <= hi
    # Each interior endpoint p satisfies (p_hat - p)^2 = z^2 p (1 - p) / n.
    for p in (lo, hi):
        if 0 < p < 1:
            assert (p_hat - p) ** 2 == pytest.approx(Z * Z * p * (1 - p) / n, rel=1e-6, abs=1e-12)


@given(n=st.integers(1, 300), data=st.data(), chance=st.sampled_from([0.1, 0.3, 0.5]))
@hsettings(max_examples=60)
def test_binomial_p_value_is_the_exact_upper_tail(n, data, chance):
    k = data.draw(st.integers(0, n))
    exact = sum(math.comb(n, j) * chance**j * (1 - chance) ** (n - j) for j in range(k, n + 1))
    assert binomial_p_value(k, n, chance) == pytest.approx(min(1.0, exact), rel=1e-9, abs=1e-15)
    assert binomial_p_value(k, n, chance) == pytest.approx(
        sst.binomtest(k, n, chance, alternative="greater").pvalue, rel=1e-9, abs=1e-15)


def test_vectorised_p_values_equal_the_single_ones():
    hits, ns, chances = [0, 5, 30, 12, 0], [10, 10, 100, 40, 0], [0.1, 0.3, 0.5, 0.5, 0.5]
    assert binomial_p_values(hits, ns, chances) == pytest.approx(
        [binomial_p_value(k, n, p) for k, n, p in zip(hits, ns, chances)], rel=1e-12)
    assert binomial_p_values([], [], []) == []


def test_rate_summary_keeps_its_shape():
    s = rate_summary(3, 10, 0.1)
    assert s["n"] == 10 and s["hits"] == 3 and s["rate"] == 0.3 and s["chance"] == 0.1
    assert s["ci95"] == list(wilson_interval(3, 10))
    assert rate_summary(0, 0, 0.5)["rate"] is None


def test_holm_hand_worked():
    # Sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1 = 0.04, 0.09, 0.08 -> 0.09 (monotone), 0.2.
    assert holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_chi_square_uniform_matches_the_formula():
    counts = [12, 8, 10, 9, 11, 10, 10, 7, 13, 10]
    expected = sum(counts) / 10
    stat = sum((c - expected) ** 2 / expected for c in counts)
    got_stat, p, df = chi_square_uniform(counts)
    assert got_stat == pytest.approx(stat) and df == 9
    assert p == pytest.approx(sst.chi2.sf(stat, 9))


def test_runs_test_hand_worked():
    # B B S S S B S B B B: n1 = 6 Big, n2 = 4 Small, runs = 5.
    seq = [True, True, False, False, False, True, False, True, True, True]
    res = runs_test(seq)
    e = 2 * 6 * 4 / 10 + 1  # 5.8
    var = 2 * 6 * 4 * (2 * 6 * 4 - 10) / (10**2 * 9)
    z = (5 - e) / math.sqrt(var)
    assert res["runs"] == 5 and res["expected_runs"] == pytest.approx(e)
    assert res["statistic"] == pytest.approx(z)
    assert res["p_value"] == pytest.approx(2 * (1 - sst.norm.cdf(abs(z))))
    assert runs_test([True] * 5)["p_value"] is None


def test_independence_test_matches_the_formula():
    table = np.array([[20, 5], [5, 20]])
    rows, cols, n = table.sum(1), table.sum(0), table.sum()
    expected = np.outer(rows, cols) / n
    stat = ((table - expected) ** 2 / expected).sum()
    got, p, df = independence_test(table)
    assert got == pytest.approx(stat) and df == 1 and p == pytest.approx(sst.chi2.sf(stat, 1))
    # Digits that never occur are dropped, not divided by.
    padded = np.zeros((10, 10), dtype=int)
    padded[:2, :2] = table
    assert independence_test(padded) == pytest.approx((got, p, 1))


def break_even(market: str) -> float:
    return get_game("WinGo_1M").market(market).break_even


def test_break_even_rates_follow_the_payouts():
    assert break_even("number") == pytest.approx(1 / (0.98 * 9))
    assert break_even("top3") == pytest.approx(3 / (0.98 * 9))
    assert break_even("big_small") == pytest.approx(1 / 1.96)
    assert break_even("color") == pytest.approx(1 / 1.96)
    with pytest.raises(KeyError):
        break_even("jackpot")


def test_verdicts_follow_the_spec_rule():
    from lottery.evaluation import sequential
    market = get_game("WinGo_1M").market("big_small")
    be = market.break_even

    def judge(k, n):
        [v] = sequential.verdict([(k, n, 0.5, be)])
        return v.label, scoreboard.verdict_text(v, k, n, market, 1)

    assert judge(20, 29)[0] == scoreboard.TOO_FEW
    # The anytime lower bound clears break-even: edge.
    assert judge(700, 1000)[0] == scoreboard.EDGE
    # Above chance by the anytime test but not above break-even: no usable edge, said so.
    verdict, text = judge(5200, 10000)
    assert verdict == scoreboard.NO_EDGE and "not clearly above the break-even" in text
    # A one-look p-value under 0.01 is not enough (545 of 1000: p = 0.0027).
    assert binomial_p_value(545, 1000, 0.5) < 0.01 and judge(545, 1000)[0] == scoreboard.NO_EDGE
    assert judge(400, 1000)[0] == scoreboard.WORSE
    verdict, text = judge(510, 1000)
    assert verdict == scoreboard.NO_EDGE and "n=1000" in text and "chance 50.0%" in text


def test_score_hand_worked_log_loss_and_brier():
    probs = [0.05] * 10
    probs[3], probs[7] = 0.25, 0.30  # sums to 1
    pred = {"numbers": [7, 3, 0, 1, 2, 4, 5, 6, 8, 9], "big_small": "Big", "color": "Green",
            "probs": probs, "big_small_p": 0.6}
    s = score(pred, 3)
    assert s["number"][0] == 0 and s["top3"][0] == 1
    assert s["number"][1] == round(-math.log(0.25) * MICRO)
    brier = sum(p * p for p in probs) - 2 * 0.25 + 1
    assert s["number"][2] == round(brier * MICRO)
    # Big predicted with 0.6, Small drawn: P(actual) = 0.4.
    assert s["big_small"] == (0, round(-math.log(0.4) * MICRO), round(0.6**2 * MICRO))
    # Green from the distribution: P(odd digits) = 0.05*3 + 0.25 + 0.30 = 0.7; 3 is Green.
    assert s["color"] == (1, round(-math.log(0.7) * MICRO), round(0.3**2 * MICRO))
    assert score({"numbers": [4], "color": "Red"}, 4) == {"number": (1, None, None),
                                                          "color": (1, None, None)}


@pytest.mark.parametrize("bad", [
    {"numbers": [1, 1, 2]}, {"numbers": [11]}, {"numbers": ["x"]}, {"big_small": "Huge"},
    {"color": "Violet"}, {"numbers": []}, {"numbers": [1], "probs": [0.1] * 9},
    {"numbers": [1], "probs": [-1] + [0.1] * 9}, {"numbers": [1], "probs": [0] * 10},
    {"numbers": [1], "big_small_p": 1.5}])
def test_normalise_rejects_unusable_predictions(bad):
    with pytest.raises(ValueError):
        normalise(bad)


def test_normalise_rescales_probs():
    out = normalise({"numbers": [1, 2, 3], "probs": [2] * 10, "rule": "r"})
    assert out == {"numbers": [1, 2, 3], "probs": [0.1] * 10, "rule": "r"}


def reference_streaks(outcomes):
    cur_kind, cur, best_w, best_l, dist_w, dist_l = None, 0, 0, 0, {}, {}
    for hit in outcomes:
        kind = "win" if hit else "loss"
        if kind == cur_kind:
            cur += 1
        else:
            if cur_kind is not None:
                d = dist_w if cur_kind == "win" else dist_l
                d[cur] = d.get(cur, 0) + 1
            cur_kind, cur = kind, 1
        if hit:
            best_w = max(best_w, cur)
        else:
            best_l = max(best_l, cur)
    return cur_kind, cur, best_w, best_l, dist_w, dist_l


@given(st.lists(st.booleans(), max_size=200))
def test_streaks_match_a_plain_loop(outcomes):
    s = streaks_of(outcomes)
    assert (s.current_kind, s.current, s.longest_win, s.longest_loss, s.win_distribution,
            s.loss_distribution) == reference_streaks(outcomes)


def test_market_totals_subtract_counts_but_keep_streaks():
    a = MarketTotals(10, 4, 10, 100, 50, streaks_of([True]))
    b = MarketTotals(4, 1, 4, 30, 20)
    d = a.minus(b)
    assert (d.n, d.hits, d.prob_n, d.ll, d.brier) == (6, 3, 6, 70, 30)
    assert d.streaks is a.streaks


def test_audit_detects_a_planted_bias_and_passes_fair_digits():
    rng = np.random.default_rng(11)
    fair = rng.integers(0, 10, 5000)
    weights = np.full(10, 1.0)
    weights[7] = 2.0
    biased = rng.choice(10, 5000, p=weights / weights.sum())
    good, bad = audit_digits(fair), audit_digits(biased)
    assert good["uniformity"]["p_value"] > 0.001
    assert bad["uniformity"]["p_value"] < 0.01 and "not equally frequent" in bad["uniformity"]["text"]
    assert good["uniformity"]["counts"]["7"] == int((fair == 7).sum())
    # A stream that always alternates Big and Small fails the runs test; one
    # where each digit follows the previous one fails lag-1 independence.
    alternating = audit_digits([1, 8] * 300)
    assert alternating["runs_big_small"]["p_value"] < 1e-6
    assert "more often" in alternating["runs_big_small"]["text"]
    chained = audit_digits([(i * 3) % 10 for i in range(2000)])
    assert chained["lag1_independence"]["p_value"] < 1e-6
    assert chained["lag1_independence"]["n"] == 1999
    few = audit_digits([1, 2, 3])
    assert few["uniformity"]["p_value"] is None and "Too few" in few["lag1_independence"]["text"]


def test_wilson_z_constant_is_scipys():
    from scipy.stats import norm

    from lottery.evaluation.stats import _Z

    assert _Z[0.95] == pytest.approx(float(norm.ppf(0.975)), abs=1e-15)


def test_the_draw_worker_does_not_load_scipy():
    # scipy costs ~70 MB; the worker's memory target (<= 150 MB with 100,000 draws) needs it out.
    import subprocess
    import sys

    code = "import sys, lottery.worker; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_web_app_does_not_load_scipy_until_a_statistic_is_asked_for():
    # The same ~70 MB per web worker (twice per process group): /api/prediction never needs it.
    import subprocess
    import sys

    code = ("import sys; from lottery.web import blueprint_modules; blueprint_modules(); "
            "print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
