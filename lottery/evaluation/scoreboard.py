"""The honest scoreboard (SPEC 5): every (predictor, market) against chance.

`build(game, totals)` turns any totals (live, read by `lottery.store.scores`, or
from a backtest) into the JSON of GET /api/accuracy, using the game's markets
(chance rate, break-even rate, probability baselines).
"""
from __future__ import annotations

from datetime import datetime, timezone

from lottery.evaluation.scoring import MICRO, MarketTotals
from lottery.evaluation.stats import binomial_p_values, holm, wilson_interval
from lottery.games import Game

ALPHA = 0.01  # family-wise level of the "edge" verdict (Holm across the table)
MIN_N = 30  # below this many resolved predictions no verdict is given
EDGE = "edge"
NO_EDGE = "no evidence of an edge"
WORSE = "worse than chance"
TOO_FEW = "too few draws to judge"
NOTE = ("Outcomes of a fair draw cannot be predicted. A hit rate means something only next to "
        "its sample size, the chance rate and its 95% interval; 'edge' needs a Holm-adjusted "
        f"p-value below {ALPHA} and a 95% lower bound above the break-even rate of the payout. "
        "Paper figures only: nothing here is advice to bet.")

Totals = dict[str, dict[str, MarketTotals]]  # predictor -> market -> totals


def verdict(hits: int, n: int, chance: float, be: float, p_holm: float) -> tuple[str, str]:
    """Return (verdict, plain sentence) for one row by the SPEC 5 rule."""
    lo, hi = wilson_interval(hits, n)
    figures = (f"{100 * hits / n:.1f}% (n={n}) vs chance {100 * chance:.1f}%, "
               f"95% CI {100 * lo:.1f}-{100 * hi:.1f}%" if n else f"n=0 vs chance {100 * chance:.1f}%")
    if n < MIN_N:
        return TOO_FEW, f"{figures}: too few draws to judge (needs at least {MIN_N})"
    if p_holm < ALPHA and lo > be:
        return EDGE, (f"{figures}: better than chance (Holm p={p_holm:.2g}) and above the "
                      f"break-even rate {100 * be:.1f}%")
    if hi < chance:
        return WORSE, f"{figures}: worse than chance"
    if p_holm < ALPHA:
        return NO_EDGE, (f"{figures}: better than chance (Holm p={p_holm:.2g}) but not clearly "
                         f"above the break-even rate {100 * be:.1f}%, so no usable edge")
    return NO_EDGE, f"{figures}: no evidence of an edge over chance"


def build(game: Game, totals: Totals, window: int | None = None) -> dict:
    """Return the scoreboard JSON of per-predictor, per-market totals."""
    rows = []
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
    p_values = binomial_p_values([row["hits"] for row in rows], [row["n"] for row in rows],
                                 [row["chance"] for row in rows])
    for row, p in zip(rows, p_values):
        row["p_value"] = p
    for row, p_adj in zip(rows, holm(p_values)):
        row["p_holm"] = p_adj
        row["verdict"], row["verdict_text"] = verdict(row["hits"], row["n"], row["chance"],
                                                      row["break_even"], p_adj)
    return {"game": game.code, "window": window,
            "n_draws": max((row["n"] for row in rows), default=0),
            "alpha": ALPHA, "min_n": MIN_N, "rows": rows,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": NOTE}
