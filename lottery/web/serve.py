"""`python -m lottery web`: run the app under gunicorn with gunicorn.conf.py."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def add_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn worker processes (default: WEB_CONCURRENCY or 2)")


def run(args, settings) -> int:
    """Replace this process with gunicorn serving app:app."""
    argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:app"]
    if args.workers:
        argv[3:3] = ["--workers", str(args.workers)]
    os.chdir(ROOT)
    os.execv(sys.executable, argv)
    return 0  # not reached
