"""What moto computed, and for whom (a count of a queue, a message's visibility): the SQS speed seams' tests check
who no longer does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.sqs.models import Message, Queue


def counted_queues(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the queues whose ApproximateNumberOfMessages is computed from now on, once per computation."""
    return _recorded(monkeypatch, Queue, "approximate_number_of_messages", lambda queue: queue.name)


def visibility_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bodies of the messages whose visibility is tested from now on."""
    return _recorded(monkeypatch, Message, "visible", lambda message: message.body)


def _recorded(monkeypatch: pytest.MonkeyPatch, owner: type, name: str, label: Callable[[Any], str]) -> list[str]:
    """`owner.name` (a property) as before, noting `label(instance)` at each computation."""
    seen: list[str] = []
    compute: Any = owner.__dict__[name].fget

    def recording(instance: Any) -> Any:
        seen.append(label(instance))
        return compute(instance)

    monkeypatch.setattr(owner, name, property(recording))
    return seen
