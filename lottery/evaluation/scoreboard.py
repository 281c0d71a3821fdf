"""The honest scoreboard (SPEC 5): every (predictor, market) against chance.

`build(game, totals)` turns any totals (live, read by `lottery.store.scores`, or
from a backtest) into the JSON of GET /api/accuracy, using the game's markets
(chance rate, break-even rate, probability baselines).
"""
from __future__ import annotations

from datetime import datetime, timezone

from lottery.evaluation import sequential
from lottery.evaluation.scoring import MICRO, MarketTotals
from lottery.evaluation.stats import binomial_p_values, holm, wilson_interval
from lottery.games import Game
from lottery.games.base import Market

ALPHA = sequential.ALPHA  # chance of any false label anywhere on the board, at any moment
MIN_N = sequential.MIN_N  # below this many resolved predictions no verdict is given
EDGE = sequential.EDGE
BETTER = sequential.BETTER
NO_EDGE = sequential.NO_EDGE
WORSE = sequential.WORSE
TOO_FEW = sequential.TOO_FEW
METHOD = ("anytime-valid: beta-binomial mixture confidence sequence (Howard et al. 2021), "
          "Bonferroni across the rows shown together")
NOTE = ("Outcomes of a fair draw cannot be predicted. A hit rate means something only next to "
        "its sample size, the chance rate and its interval. The board is read after every draw, "
        "so the verdict uses anytime-valid bounds (anytime_ci) that stay honest however often "
        f"they are looked at, corrected across the rows shown (at most a {ALPHA:.0%} chance of "
        "any false label, ever): 'edge' needs the anytime lower bound above the break-even rate "
        "of the payout. The 95% interval and p-values are descriptive figures for one look. "
        "Paper figures only: nothing here is advice to bet.")
WINDOW_NOTE = ("Windowed figures are descriptive only: the verdict, anytime_ci and power line of "
               "each row are those of the full running record (verdict_n draws), the only "
               "record they are valid for.")

Totals = dict[str, dict[str, MarketTotals]]  # predictor -> market -> totals


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def verdict_text(v: sequential.Verdict, hits: int, n: int, market: Market, rows: int) -> str:
    """Return the plain sentence of one row's verdict (figures of the record it judges)."""
    lo, hi = wilson_interval(hits, n)
    figures = (f"{_pct(hits / n)} (n={n}) vs chance {_pct(market.chance)}, "
               f"95% CI {100 * lo:.1f}-{100 * hi:.1f}%, anytime bounds "
               f"{100 * v.lower:.1f}-{100 * v.upper:.1f}%" if n
               else f"n=0 vs chance {_pct(market.chance)}")
    be = _pct(market.break_even)
    corrected = f"corrected across {rows} row{'s' if rows != 1 else ''}"
    if v.label == TOO_FEW:
        return f"{figures}: too few draws to judge (needs at least {MIN_N})"
    if v.label == EDGE:
        return (f"{figures}: better than chance and above the break-even rate {be} even at "
                f"its anytime-valid lower bound ({corrected})")
    if v.label == BETTER:
        return (f"{figures}: better than chance by the anytime-valid test ({corrected}), "
                "but no hit rate can make money in this market")
    if v.label == WORSE:
        return f"{figures}: worse than chance by the anytime-valid test ({corrected})"
    if v.better:
        return (f"{figures}: better than chance ({corrected}) but not clearly above the "
                f"break-even rate {be}, so no usable edge")
    return f"{figures}: no evidence of an edge over chance"


def power_line(v: sequential.Verdict, n: int, market: Market) -> str | None:
    """Return the plain power sentence of a row with no evidence of an edge (None otherwise)."""
    if v.label != NO_EDGE:
        return None
    return sequential.edge_sentence(n, market.chance, v.detectable_edge)


def build(game: Game, totals: Totals, window: int | None = None,
          record: Totals | None = None) -> dict:
    """Return the scoreboard JSON of per-predictor, per-market totals.

    `record` is the full running record the verdicts judge when `totals` cover
    only the last `window` predictions (default: `totals` themselves).
    """
    judged_totals = totals if record is None else record
    rows, judged = [], []
    for name in game.predictors().order(totals):
        for market in game.markets:
            t = totals[name].get(market.name)
            if t is None or t.n <= 0:
                continue
            lo, hi = wilson_interval(t.hits, t.n)
            row = {"predictor": name, "market": market.name, "n": t.n, "hits": t.hits,
                   "hit_rate": t.hits / t.n, "chance": market.chance, "ci95": [lo, hi],
                   "p_value": 1.0, "break_even": market.break_even,
                   "streaks": t.streaks.to_dict()}
            if t.prob_n > 0 and market.baseline is not None:
                row["log_loss"] = t.ll / MICRO / t.prob_n
                row["baseline_log_loss"] = market.baseline[0]
                row["brier"] = t.brier / MICRO / t.prob_n
                row["baseline_brier"] = market.baseline[1]
                row["prob_n"] = t.prob_n
            rows.append(row)
            full = judged_totals.get(name, {}).get(market.name) or t
            judged.append((market, full))
    p_values = binomial_p_values([row["hits"] for row in rows], [row["n"] for row in rows],
                                 [row["chance"] for row in rows])
    for row, p in zip(rows, p_values):
        row["p_value"] = p
    for row, p_adj in zip(rows, holm(p_values)):
        row["p_holm"] = p_adj
    # One anytime-valid verdict per row, corrected across every row of this board.
    verdicts = sequential.verdict(
        [sequential.Row(t.hits, t.n, m.chance, m.break_even if _pays(m) else None)
         for m, t in judged], ALPHA, MIN_N)
    for row, (market, t), v in zip(rows, judged, verdicts):
        row["verdict"] = v.label
        row["verdict_text"] = verdict_text(v, t.hits, t.n, market, len(rows))
        row["anytime_ci"] = [v.lower, v.upper]
        if window is not None:
            row["verdict_n"] = t.n
        line = power_line(v, t.n, market)
        if line is not None:
            row["detectable_edge"] = v.detectable_edge
            row["power"] = line
    return {"game": game.code, "window": window,
            "n_draws": max((row["n"] for row in rows), default=0),
            "alpha": ALPHA, "alpha_row": sequential.row_alpha(len(rows), ALPHA),
            "min_n": MIN_N, "method": METHOD, "rows": rows,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": NOTE if window is None else f"{NOTE} {WINDOW_NOTE}"}


def _pays(market: Market) -> bool:
    # A market "can pay" when some hit rate under 1 returns the stake.
    return market.pays and market.break_even < 1.0
