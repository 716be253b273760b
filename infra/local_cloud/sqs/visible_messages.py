"""A queue's visible messages are found as a receive asks for them, not all listed first.

moto 5.2.5's ``Queue.messages`` lists every visible, undelayed message of the queue, reading the clock twice per
message (``Message.visible``, ``Message.delayed``), and ``SQSBackend.receive_message`` walks that list only until
it holds the messages it hands out. A poller's receive of 10 from a queue 10,000 deep listed all 10,000: a replay
fills the read model's queue at once, and its drain cost grew with the square of its depth (the bound of a replay
once ``receive_retention`` and ``queue_counts`` were in). The seam makes ``messages`` a view that yields them in
the same order and with the same test, lazily; its length and truth, which moto also asks for, count as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from local_cloud.seams import Installation, SeamChanged, replace, require_source

_LISTED = "if message.visible and not message.delayed"


class VisibleMessages:
    """The queue's messages that a receive may hand out now, in the queue's order, each tested when reached."""

    __slots__ = ("_messages",)

    def __init__(self, messages: list[Any]) -> None:
        self._messages = messages

    def __iter__(self) -> Iterator[Any]:
        return (message for message in self._messages if message.visible and not message.delayed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None


def install() -> Installation:
    from moto.sqs.models import Queue

    original = Queue.__dict__.get("messages")
    if not isinstance(original, property) or original.fget is None:
        raise SeamChanged("moto's Queue.messages is no longer a property: moto changed this seam")
    require_source(original.fget, [_LISTED, "for message in self._messages"], "Queue.messages")

    def messages(queue: Any) -> VisibleMessages:
        return VisibleMessages(queue._messages)

    messages.__local_cloud_patch__ = True  # type: ignore[attr-defined]  # a property cannot carry the mark
    return Installation([replace(Queue, "messages", property(messages))])
