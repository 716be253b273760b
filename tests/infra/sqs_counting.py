"""Which queues moto counted (a pass over every message): the SQS speed seams' tests check who no longer does."""

from __future__ import annotations

from typing import Any

import pytest
from moto.sqs.models import Message, Queue


def counted_queues(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the queues whose ApproximateNumberOfMessages is computed from now on, once per computation."""
    counted: list[str] = []
    count: Any = Queue.__dict__["approximate_number_of_messages"].fget

    def counting(queue: Any) -> int:
        counted.append(queue.name)
        return int(count(queue))

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(counting))
    return counted


def visibility_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bodies of the messages whose visibility is tested from now on."""
    tested: list[str] = []
    visible: Any = Message.__dict__["visible"].fget

    def testing(message: Any) -> bool:
        tested.append(message.body)
        return bool(visible(message))

    monkeypatch.setattr(Message, "visible", property(testing))
    return tested
