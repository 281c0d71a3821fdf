"""`python -m lottery <command>`: a process's command lives with its loop, the others in
`lottery.commands`.

A command module provides `add_arguments(parser)` and `run(args, settings) -> int`.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from lottery.config import ConfigError, Settings

# name -> (module, one-line help)
COMMANDS = {
    "up": ("lottery.runner", "start the whole local system (embedded Redis when REDIS_URL is unset)"),
    "web": ("lottery.web.serve", "run the web app under gunicorn"),
    "worker": ("lottery.worker", "run the draw worker"),
    "ai-worker": ("lottery.ai.worker", "run the AI worker"),
    "sim-worker": ("lottery.sim.worker", "run the simulator worker"),
    "bot": ("lottery.bot.app", "run the Telegram bot"),
    "alerts": ("lottery.alerts.webhooks", "deliver alerts to the webhooks (ALERT_WEBHOOK_URLS)"),
    "import-csv": ("lottery.commands.import_csv", "import past draws from a CSV file"),
    "verify": ("lottery.commands.verify", "recompute a simulated draw from its revealed seed"),
    "backtest": ("lottery.commands.backtest", "replay history walk-forward and print the scoreboard"),
    "simulate": ("lottery.commands.simulate", "run a Monte Carlo study of a staking strategy"),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    """Return the argument parser and the command modules it was built from."""
    parser = argparse.ArgumentParser(prog="python -m lottery", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command whose module is not in this build
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, read settings once and run the command."""
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return modules[args.command].run(args, settings) or 0
