"""Every decision of a schedule is one integer drawn here: from a seeded PRNG while exploring, from a recorded
list when replaying or shrinking. 0 is always the plainest choice (the first actor, no fault), so a shrinker that
deletes choices or lowers them toward 0 makes a schedule simpler."""

from __future__ import annotations

import random


class Choices:
    def __init__(self, seed: int | None = None, recorded: list[int] | None = None) -> None:
        self._random = random.Random(seed) if recorded is None else None
        self._recorded = list(recorded or [])
        self.drawn: list[int] = []

    def draw(self, options: int) -> int:
        """An integer in [0, options)."""
        if options <= 1:
            return 0
        if self._random is not None:
            value = self._random.randrange(options)
        else:
            position = len(self.drawn)
            value = self._recorded[position] % options if position < len(self._recorded) else 0
        self.drawn.append(value)
        return value

    def chance(self, percent: int) -> bool:
        """True about `percent` % of the time; a replayed 0 is False."""
        return self.draw(100) >= 100 - percent
