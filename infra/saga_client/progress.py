"""A progress bar on stderr for long client runs: redrawn in place on a terminal (at most 5 times a second),
one line per tenth of the work otherwise (CI logs, pytest capture). Thread-safe."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, width: int = 30, stream: TextIO | None = None) -> None:
        self._total, self._label, self._width = max(total, 1), label, width
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._done = 0
        self._note = ""
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._drawn_tenth = -1

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self._done += count
            self._draw()

    def note(self, text: str) -> None:
        """A short phase name shown after the bar."""
        with self._lock:
            self._note = text
            self._draw(force=True)

    def close(self) -> None:
        with self._lock:
            self._draw(force=True)
            if self._tty:
                print(file=self._stream, flush=True)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        tenth = 10 * self._done // self._total
        if self._tty and not force and now - self._drawn_at < 0.2 and self._done < self._total:
            return
        if not self._tty and not force and tenth == self._drawn_tenth:
            return
        self._drawn_at, self._drawn_tenth = now, tenth
        filled = self._width * min(self._done, self._total) // self._total
        bar = "#" * filled + "." * (self._width - filled)
        line = f"  {self._label} [{bar}] {self._done}/{self._total} {now - self._started:5.0f} s  {self._note}"
        if self._tty:
            print(f"\r{line:<100}", end="", file=self._stream, flush=True)
        else:
            print(line, file=self._stream, flush=True)
