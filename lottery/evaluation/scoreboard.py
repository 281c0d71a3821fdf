"""The honest scoreboard (SPEC 5): every (predictor, market) against chance.

`scoreboard(r, game_code, window=None)` reads the recorder's stored aggregates
(two round trips, no record scans) and returns the JSON of GET /api/accuracy;
`build(...)` turns any totals (live or from a backtest) into that JSON.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from lottery import keys
from lottery.evaluation import recorder
from lottery.evaluation.scoring import BASELINE, MICRO, MarketTotals, Streaks, break_even
from lottery.evaluation.stats import binomial_p_values, holm, wilson_interval
from lottery.predictors.base import CHANCE, MARKETS
from lottery.predictors.registry import EXTERNAL_PREDICTORS, PREDICTOR_NAMES
from lottery.store import as_str as _s

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
CACHE_FIELDS_MAX = 64  # distinct windows cached per game before the cache is dropped


def predictor_order(names) -> list[str]:
    """Return predictor names in display order: built-ins, then external, then others."""
    known = PREDICTOR_NAMES + EXTERNAL_PREDICTORS
    return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))


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


def build(game_code: str, totals: Totals, window: int | None = None) -> dict:
    """Return the scoreboard JSON of per-predictor, per-market totals."""
    rows = []
    for name in predictor_order(totals):
        for market in MARKETS:
            t = totals[name].get(market)
            if t is None or t.n <= 0:
                continue
            lo, hi = wilson_interval(t.hits, t.n)
            row = {"predictor": name, "market": market, "n": t.n, "hits": t.hits,
                   "hit_rate": t.hits / t.n, "chance": CHANCE[market], "ci95": [lo, hi],
                   "p_value": 1.0, "break_even": break_even(market),
                   "streaks": t.streaks.to_dict()}
            if t.prob_n > 0 and market in BASELINE:
                row["log_loss"] = t.ll / MICRO / t.prob_n
                row["baseline_log_loss"] = BASELINE[market][0]
                row["brier"] = t.brier / MICRO / t.prob_n
                row["baseline_brier"] = BASELINE[market][1]
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
    return {"game": game_code, "window": window,
            "n_draws": max((row["n"] for row in rows), default=0),
            "alpha": ALPHA, "min_n": MIN_N, "rows": rows,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": NOTE}


def scoreboard(r, game_code: str, window: int | None = None) -> dict:
    """Return the scoreboard of a game over the last `window` resolved predictions (None: all)."""
    # The table only changes when a prediction is scored (once a period), so it
    # is computed once per version of the counters and cached in Redis.
    field = "all" if window is None else str(window)
    pipe = r.pipeline(transaction=False)
    pipe.get(keys.eval_version(game_code))
    pipe.hget(keys.eval_board_cache(game_code), field)
    version, cached = pipe.execute()
    version = int(version or 0)
    if cached is not None:
        body = json.loads(cached)
        if body.pop("version", None) == version:
            return body
    body = build(game_code, read_totals(r, game_code, window), window)
    pipe = r.pipeline(transaction=False)
    pipe.hset(keys.eval_board_cache(game_code), field,
              json.dumps({**body, "version": version}, separators=(",", ":")))
    pipe.hlen(keys.eval_board_cache(game_code))
    if pipe.execute()[1] > CACHE_FIELDS_MAX:
        r.delete(keys.eval_board_cache(game_code))  # many distinct windows: start over
    return body


def read_totals(r, game_code: str, window: int | None = None) -> Totals:
    """Read every predictor's totals, reduced to the last `window` resolutions when given."""
    names = sorted(_s(m) for m in r.smembers(keys.eval_predictors(game_code)))
    if not names:
        return {}
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.eval_totals(game_code, name))
        if window is not None:
            cum = keys.eval_cumulative(game_code, name)
            pipe.llen(cum)
            pipe.lindex(cum, window)
            pipe.lindex(cum, -1)
    replies = pipe.execute()
    step = 1 if window is None else 4
    out: Totals = {}
    for i, name in enumerate(names):
        raw = {_s(k): _s(v) for k, v in replies[i * step].items()}
        if not raw:
            continue
        totals = _parse_totals(raw)
        resolutions = int(raw.get("res", 0))
        if window is not None and window < resolutions:
            length, at_window, oldest = replies[i * step + 1: i * step + 4]
            # The snapshot `window` places back holds the counts before the last
            # `window` resolutions; when the list was trimmed shorter, the oldest
            # kept snapshot is the furthest back we can go.
            base = at_window if length > window else oldest
            if base is not None:
                base_totals = _parse_snapshot(_s(base))
                totals = {m: t.minus(base_totals[m]) for m, t in totals.items()}
        out[name] = totals
    return out


def _parse_totals(raw: dict) -> dict[str, MarketTotals]:
    out = {}
    for m in MARKETS:
        n = int(raw.get(f"{m}:n", 0))
        if n <= 0:
            continue
        cur = int(raw.get(f"{m}:cur", 0))
        streaks = Streaks(current_kind="win" if cur > 0 else "loss" if cur < 0 else None,
                          current=abs(cur), longest_win=int(raw.get(f"{m}:bw", 0)),
                          longest_loss=int(raw.get(f"{m}:bl", 0)))
        out[m] = MarketTotals(n, int(raw.get(f"{m}:k", 0)), int(raw.get(f"{m}:pn", 0)),
                              int(raw.get(f"{m}:ll", 0)), int(raw.get(f"{m}:br", 0)), streaks)
    return out


def _parse_snapshot(text: str) -> dict[str, MarketTotals]:
    values = [int(x) for x in text.split(",")]
    width = len(recorder.SNAPSHOT_FIELDS)
    return {m: MarketTotals(*values[i * width:(i + 1) * width]) for i, m in enumerate(MARKETS)}
