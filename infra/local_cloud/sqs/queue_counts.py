"""GetQueueAttributes computes its queue's attributes once, and counts the messages reading the clock once.

moto 5.2.5's ``SQSBackend.get_queue_attributes`` answers a request for named attributes by computing
``Queue.attributes`` (every attribute of the queue) three times per name asked. Among them are the three approximate
message counts, each a pass over every message of the queue that reads the clock for every message
(``Message.visible``, ``Message.delayed``: a datetime built each time). A client waiting for a queue 10,000 deep to
empty (the three counts, ten times a second) kept the server busy with 36 clock readings per message per request,
and slowed the very poller it waited for. The seam computes the attributes once per request, and each count reads
the clock once and compares every message with that instant: the same answer, within the microseconds a pass takes.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time_millis

from local_cloud.seams import Installation, replace, require_signature, require_source

_READS = ["if queue.attributes.get(name) is not None:", 'if "All" in attribute_names:']


def install() -> Installation:
    from moto.sqs.exceptions import InvalidAttributeName
    from moto.sqs.models import Message, Queue, SQSBackend

    original = SQSBackend.get_queue_attributes
    require_signature(original, ["self", "queue_name", "attribute_names"], "SQSBackend.get_queue_attributes")
    require_source(original, _READS, "SQSBackend.get_queue_attributes")
    for name, compared in (
        ("visible", "current_time > self.visible_at"),
        ("delayed", "current_time < self.delayed_until"),
    ):
        require_source(Message.__dict__[name].fget, [compared], f"Message.{name}")

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        if not attribute_names:
            return {}
        valid = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
        invalid = next((name for name in attribute_names if name not in valid), None)
        if invalid is not None:
            raise InvalidAttributeName(invalid)
        every: dict[str, Any] = queue.attributes
        if "All" in attribute_names:
            return every
        return {name: every[name] for name in attribute_names if every.get(name) is not None}

    def waiting(self: Any) -> int:  # visible and not delayed: what a receive could take now
        now = unix_time_millis()
        return sum(1 for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def not_visible(self: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in self._messages if not now > m.visible_at)

    def delayed(self: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in self._messages if now < m.delayed_until)

    return Installation(
        [
            replace(SQSBackend, "get_queue_attributes", get_queue_attributes),
            replace(Queue, "approximate_number_of_messages", property(waiting)),
            replace(Queue, "approximate_number_of_messages_not_visible", property(not_visible)),
            replace(Queue, "approximate_number_of_messages_delayed", property(delayed)),
        ]
    )
