"""`python -m lottery web`: run the app under gunicorn with gunicorn.conf.py."""
from __future__ import annotations

import gc
import os
import socket
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
    once (one OS thread): part of its long p99 (bench/prediction_api.py; the larger
    part was the order of turns, see await_next_request). Frozen, a full
    collection walks only what requests allocated since.
    """
    gc.collect()  # what booting left as garbage is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()


def await_next_request(worker, req, environ, resp) -> None:
    """Under gevent, wait for a kept-alive connection's next request behind every ready one.

    gunicorn's gevent worker gives each connection a greenlet that reads its next
    request as soon as it has answered one. Yielding with gevent.sleep(0) first
    (this hook's old body) queued the greenlet as a loop callback, and gevent runs
    callbacks queued while it runs callbacks in the same pass: under saturation a
    connection whose client answered quickly was served again and again while
    connections already readable waited for the next poll (p99 4-7x gthread's at
    64 connections, bench/prediction_api.py). Waiting for readability through the
    event loop instead serves every ready connection once per loop iteration, in
    turn, as gthread's queue does. Idle connections still close after `keepalive`.
    """
    import gevent
    from gevent.socket import wait_read

    sock = environ.get("gunicorn.socket") if environ else None
    if resp is None or sock is None or resp.status is None or resp.should_close():
        # gunicorn closes this connection now, or the app took the socket over (/ws).
        return
    if req.unreader.buf.getbuffer().nbytes:
        gevent.sleep(0)  # the client pipelined its next request: it is read already
        return
    try:
        wait_read(sock.fileno(), timeout=worker.cfg.keepalive)
    except socket.timeout:
        # Idle for `keepalive`: end it here, as gunicorn's own keep-alive wait would.
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    except OSError:
        pass  # the connection is gone; gunicorn's next read finds out


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
