"""`python -m lottery web`: run the app under gunicorn with gunicorn.conf.py."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def freeze_boot_objects() -> int:
    """Move every object alive now out of the garbage collector's reach; return how many.

    Called once per gunicorn worker after the app is loaded (post_worker_init). A
    worker holds ~70,000 objects from booting (modules, the app, gevent, clients)
    that live until it exits; every full collection walked all of them: ~50 ms of
    CPU, 250-300 ms of wall time on a busy 2-core machine, every ~2.5 s at
    saturation. Under gevent that pause holds every connection of the process at
    once (one OS thread), which is what stretched its p99 (bench/prediction_api.py).
    Frozen, a full collection walks only what requests allocated since.
    """
    gc.collect()  # what booting left as garbage is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()


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
