"""The pauses of a client that asks, again and again, whether something has ended (a saga, a return, an
execution).

Most of what it waits for ends within a few hundred ms, so it asks often at first. A wait that lasts (a step
retrying, a loaded machine) then asks a few times a second, not fifty: each ask is a request the endpoint pays
for, and a GET of an order runs the API's Lambda function too."""

from __future__ import annotations

from collections.abc import Iterator

GROWTH = 1.5  # each pause this much longer than the last
LONGEST = 0.25  # seconds: a wait's end is seen at most this late


def pauses(first: float, longest: float = LONGEST) -> Iterator[float]:
    """`first`, then each pause `GROWTH` times the last, up to `longest` (or `first`, if that is longer)."""
    pause, longest = first, max(first, longest)
    while True:
        yield pause
        pause = min(pause * GROWTH, longest)
