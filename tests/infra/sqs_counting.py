"""Which queues moto counted (a pass over every message): the SQS speed seams' tests check who no longer does."""

from __future__ import annotations

from typing import Any

import pytest
from moto.sqs.models import Queue


def counted_queues(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the queues whose ApproximateNumberOfMessages is computed from now on, once per computation."""
    counted: list[str] = []
    count: Any = Queue.__dict__["approximate_number_of_messages"].fget

    def counting(queue: Any) -> int:
        counted.append(queue.name)
        return int(count(queue))

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(counting))
    return counted
