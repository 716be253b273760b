"""A task the local cloud runs every period in a daemon thread, for what moto never runs by itself (schedules,
retention). A run that fails is logged and tried again at the next period: it never stops the thread."""

from __future__ import annotations

import logging
import threading
from typing import Self

_log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, period: float, name: str) -> None:
        self._period = period
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                self.run_once()
            except Exception:
                _log.exception("%s failed; trying again in %g s", self._name, self._period)
