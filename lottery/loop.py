"""What every worker loop shares: a stop flag that SIGTERM and SIGINT set, and the one
run-with-backoff loop."""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from typing import Callable

import redis


def process_token() -> str:
    """Return an id for this process that no other process (here or on another host) has."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StoppableLoop:
    """Mixin for workers: `stop_event` is set by a signal; the loop finishes its step and exits."""

    log: logging.Logger
    stop_event: threading.Event

    def install_signal_handlers(self) -> None:
        """Finish the current step and exit on SIGTERM or SIGINT."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.request_stop())

    def request_stop(self) -> None:
        """Ask the loop to stop after the current step."""
        self.log.info("stop requested; finishing the current step")
        self.stop_event.set()

    def run_steps(self, step: Callable[[], float], *, max_iterations: int | None = None,
                  wait: Callable[[float], None] | None = None,
                  on_redis_error: Callable[[], None] | None = None,
                  backoff: tuple[float, float] = (1.0, 30.0)) -> int:
        """Call `step()` (it returns the seconds to wait before the next) until stopped.

        While Redis is away the loop keeps running: it backs off (doubling up to the
        cap) and the next good step catches up on what was missed. Returns the
        iterations run.
        """
        wait = wait or self.stop_event.wait
        delay = backoff[0]
        done = 0
        while not self.stop_event.is_set():
            if max_iterations is not None and done >= max_iterations:
                break
            done += 1
            try:
                pause = step()
            except redis.RedisError as exc:
                self.log.warning("redis unavailable (%s); retrying in %.1fs",
                                 type(exc).__name__, delay)
                if on_redis_error is not None:
                    on_redis_error()
                wait(delay)
                delay = min(delay * 2, backoff[1])
                continue
            delay = backoff[0]
            wait(pause)
        return done
