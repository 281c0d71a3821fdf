"""`python -m lottery simulate`: a Monte Carlo study (default) or a backtest (--backtest).

The options go through the same validation as the API bodies, so the CLI
and /api/simulator/montecarlo|backtest accept and reject the same things.
"""
from __future__ import annotations

import argparse
import json
import sys

from lottery.config import DEFAULT_GAME, Settings
from lottery.games import GAMES
from lottery.sim import backtest, montecarlo
from lottery.sim.jobs import family_jobs
from lottery.sim.strategies import PROGRESSIONS, SimInputError

CLI_MAX_BETS = 2_000_000_000  # locally only time is at stake; memory stays bounded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = GAMES[DEFAULT_GAME]
    staking = parser.add_argument_group("strategy")
    staking.add_argument("--game", choices=sorted(GAMES), default=DEFAULT_GAME,
                         help=f"the game whose bets and draws are simulated (default "
                              f"{DEFAULT_GAME})")
    staking.add_argument("--target", help=f"fixed bet: one of the game's bets ({DEFAULT_GAME}: "
                                          f"{', '.join(default.bets)}; default "
                                          f"{default.default_bet})")
    staking.add_argument("--progression", choices=PROGRESSIONS, help="default flat")
    staking.add_argument("--multipliers",
                         help="ladder for martingale/paroli/custom, e.g. 1,2,4,8,16")
    staking.add_argument("--base-bet", type=float, help="default 1")
    staking.add_argument("--initial-wallet", type=float, help="default 1000")
    staking.add_argument("--stop-loss", type=float)
    staking.add_argument("--take-profit", type=float)
    own = parser.add_argument_group("crash cash-out strategies (--game Crash)")
    own.add_argument("--strategy", help="fixed (default), progression, martingale_script or "
                                        "streak_chaser")
    own.add_argument("--loss-multiplier", type=float, help="martingale_script: stake x this "
                                                            "after a loss")
    own.add_argument("--max-bet", type=float, help="martingale_script: back to the base bet "
                                                    "above this")
    own.add_argument("--wait-rounds", type=int, help="streak_chaser: rounds under --wait-under "
                                                      "before a bet")
    own.add_argument("--wait-under", help="streak_chaser: the multiplier those rounds stay under")
    mc = parser.add_argument_group("Monte Carlo")
    mc.add_argument("--sessions", type=int, help="default 1000")
    mc.add_argument("--rounds", type=int, help="rounds per session (default 100)")
    mc.add_argument("--seed", type=int, help="random seed (default: a fresh one, reported)")
    bt = parser.add_argument_group("backtest")
    bt.add_argument("--backtest", action="store_true",
                    help="replay the strategy over stored draws (or --csv) instead")
    bt.add_argument("--csv", help="draw history file (a header row: issue and the game's "
                                  "outcome columns) instead of Redis")
    bt.add_argument("--predictor", help="follow this predictor walk-forward (or 'report'/'ai' "
                                        "recorded predictions) instead of a fixed target")
    markets = tuple(dict.fromkeys(m for game in GAMES.values() for m in game.bet_groups))
    bt.add_argument("--market", choices=markets,
                    help=f"market the predictor's pick is bet on (default "
                         f"{default.default_bet_market} for {DEFAULT_GAME})")
    bt.add_argument("--draws", type=int, help="newest draws to bet on (default 1000)")
    bt.add_argument("--warmup", type=int,
                    help="draws fed to the predictor before betting starts (default 500)")
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print the full result as JSON")
    out.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the study or backtest and print it."""
    try:
        result = _backtest(args, settings) if args.backtest else _monte_carlo(args, settings)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_backtest(result) if args.backtest else format_monte_carlo(result))
    return 0


def _options(args, names) -> dict:
    """Return the given options that were set, keyed like the API body."""
    out = {}
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            out[name] = value
    return out


FAMILY_OPTIONS = ("strategy", "loss_multiplier", "max_bet", "wait_rounds", "wait_under")


def _monte_carlo(args, settings: Settings) -> dict:
    from tqdm import tqdm

    if args.predictor or args.market or args.csv:
        raise SimInputError("--predictor, --market and --csv belong to --backtest")
    game = GAMES[args.game]
    body = _options(args, ("target", "progression", "multipliers", "base_bet", "initial_wallet",
                           "stop_loss", "take_profit", "sessions", "rounds", "seed"))
    own = family_jobs(game).get("montecarlo")
    if own is not None:  # the family's own study (crash cash-outs), as the API queues it
        body.update(_options(args, FAMILY_OPTIONS))
        validate, execute = own
        local = settings.with_(simulator_mc_max_bets=CLI_MAX_BETS)
        return execute(None, local, game, validate(game, body, local))
    extra = sorted(_options(args, FAMILY_OPTIONS))
    if extra:
        raise SimInputError(f"--{extra[0].replace('_', '-')} is not an option for {game.code}")
    study = montecarlo.parse_study(game, body, CLI_MAX_BETS)
    with tqdm(total=study.cells, unit="bet", unit_scale=True, file=sys.stderr,
              disable=True if args.no_progress else None) as bar:
        return montecarlo.run(study, progress=bar.update)


def _backtest(args, settings: Settings) -> dict:
    body = _options(args, ("predictor", "market", "target", "progression", "multipliers",
                           "base_bet", "initial_wallet", "stop_loss", "take_profit", "draws",
                           "warmup"))
    game = GAMES[args.game]
    plan = backtest.parse_backtest(game, body)
    if args.csv:
        from lottery.sources.csv_source import read_csv

        try:
            rows, problems = read_csv(args.csv, game)
        except OSError as exc:
            raise SimInputError(f"cannot read {args.csv}: {exc.strerror}") from None
        for line, reason in problems[:10]:
            print(f"{args.csv}:{line}: skipped: {reason}", file=sys.stderr)
        rows = rows[-(plan.draws + plan.warmup):]
        issues, outcomes = [d.issue for d in rows], [d.outcome for d in rows]
        bets = backtest.plan_bets(plan, outcomes, None)
        if len(outcomes) <= plan.warmup:
            raise SimInputError(f"{args.csv} has {len(outcomes)} usable draws; need more than "
                                f"the warm-up of {plan.warmup}")
        return {"game": game.code, "source": args.csv,
                **backtest.run_backtest(plan, outcomes, bets, issues)}
    from lottery.store.connection import connect
    from lottery.store.embedded import resolve_redis_url

    url = resolve_redis_url(settings)
    if not url:
        raise SimInputError("REDIS_URL is not set and no local server runs; use --csv FILE")
    return backtest.backtest_stored(connect(url), plan)


def format_monte_carlo(res: dict) -> str:
    """Return a study summary as readable lines."""
    s = res["study"]
    ladder = f" {s['multipliers']}" if "multipliers" in s else ""
    q = res["final_wallet"]["quantiles"]
    dd = res["max_drawdown"]
    ret = res["return_per_unit"]
    ci = ret["ci95"]
    lines = [
        f"Monte Carlo: {s['sessions']:,} sessions x {s['rounds']:,} rounds, bet {s['target']}, "
        f"{s.get('progression') or s.get('strategy')}{ladder}, base bet {s['base_bet']:g}, "
        f"wallet {s['initial_wallet']:g}"
        f" (seed {s['seed']})",
        f"bets settled      {res['bets_settled']:,} in {res['elapsed_seconds']:.2f} s "
        f"({(res['bets_per_second'] or 0) / 1e6:.1f} M bets/s)",
        f"final wallet      mean {res['final_wallet']['mean']:.2f} | p5 {q['p5']:.2f}  "
        f"p25 {q['p25']:.2f}  median {q['p50']:.2f}  p75 {q['p75']:.2f}  p95 {q['p95']:.2f}",
        _rate_line("P(ruin)", res["probability_of_ruin"]),
        _rate_line("P(ending up)", res["probability_of_ending_up"]),
        f"max drawdown      mean {dd['mean']:.2f} | median {dd['quantiles']['p50']:.2f}  "
        f"p95 {dd['quantiles']['p95']:.2f}  max {dd['max']:.2f}",
        f"total wagered     {res['total_wagered']['sum']:,.2f}",
        f"return per unit   {_f(ret['realised'])}"
        + (f" (95% CI {ci[0]:.4f}-{ci[1]:.4f})" if ci else "")
        + f" vs expected {ret['expected']:.4f}",
        "stops             " + ", ".join(f"{k} {v:,}" for k, v in res["stop_reasons"].items()),
        res["disclaimer"],
    ]
    if "honesty" in res:  # a family's own study says how its return compares with the exact one
        ci99 = res["honesty"]["ci99"]
        lines.insert(-2, f"99% CI            {ci99[0]:.4f}-{ci99[1]:.4f}: contains "
                         f"{res['honesty']['expected_return_per_unit']:.4f}: "
                         f"{'yes' if res['honesty']['agrees_within_ci99'] else 'NO'}"
                     if ci99 else "99% CI            n/a (nothing staked)")
    return "\n".join(lines)


def format_backtest(res: dict) -> str:
    """Return a backtest summary as readable lines."""
    plan = res["plan"]
    choice = f"follow {plan['predictor']} on {plan['market']}" if plan["predictor"] \
        else f"bet {plan['target']}"
    lines = [f"Backtest on {res['game']}: {choice}, {plan['progression']}, "
             f"base bet {plan['base_bet']:g}, wallet {plan['initial_wallet']:g}",
             f"draws replayed    {res['draws_replayed']:,} ({res['skipped_no_prediction']:,} "
             f"without a prediction), bets placed {res['bets_placed']:,}"]
    if res["bets_placed"]:
        hit = res["hit_rate"]
        ret = res["return_per_unit"]
        lo, hi = ret["ci95_if_fair"]
        lines += [
            f"final wallet      {res['final_wallet']:.2f} (profit {res['profit']:+.2f}, "
            f"stop: {res['stop_reason']})",
            f"hit rate          {hit['rate']:.4f} (95% CI {hit['ci95'][0]:.4f}-"
            f"{hit['ci95'][1]:.4f}, n={hit['n']}) vs chance {hit['chance']:.4f}, "
            f"p={hit['p_value']:.3g}",
            f"return per unit   {ret['realised']:.4f} vs expected {ret['expected']:.4f} "
            f"(fair-draw 95% range {lo:.4f}-{hi:.4f})",
            f"max drawdown      {res['max_drawdown']:.2f}, wagered {res['total_wagered']:,.2f}"]
    lines.append(res["disclaimer"])
    return "\n".join(lines)


def _rate_line(label: str, p: dict) -> str:
    lo, hi = p["ci95"]
    return f"{label:<17} {p['p'] * 100:.1f}% (95% CI {lo * 100:.1f}-{hi * 100:.1f}%, n={p['n']:,})"


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"
