"""A one-line progress bar on stderr for long client runs."""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    def __init__(self, total: int, label: str, width: int = 30) -> None:
        self._total, self._label, self._width = max(total, 1), label, width
        self._done = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self._done += count
            filled = int(self._width * self._done / self._total)
            elapsed = time.monotonic() - self._started
            bar = "#" * filled + "." * (self._width - filled)
            print(f"\r  {self._label} [{bar}] {self._done}/{self._total} {elapsed:5.0f} s", end="", file=sys.stderr)
            if self._done >= self._total:
                print(file=sys.stderr)
