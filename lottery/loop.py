"""What every worker loop shares: a stop flag that SIGTERM and SIGINT set."""
from __future__ import annotations

import logging
import signal
import threading


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
