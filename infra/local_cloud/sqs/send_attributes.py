"""SendMessage reads one attribute of its queue, not all of them.

moto 5.2.5's ``SQSBackend.send_message`` asks ``queue.attributes.get("ContentBasedDeduplication")``, and
``Queue.attributes`` computes every attribute, among them the three approximate message counts, each a pass over
every message of the queue: a send costs time in proportion to the queue's depth, so filling a queue is quadratic.
A replay of a few thousand events into the read model's queue took minutes. The seam answers that one read of
send_message with that one attribute, as moto computes it; every other reader (GetQueueAttributes, the FIFO checks)
gets moto's full attributes.
"""

from __future__ import annotations

import sys
from typing import Any, cast

from local_cloud.seams import Installation, is_ours, replace, require_source

READ = 'queue.attributes.get("ContentBasedDeduplication")'


def install() -> Installation:
    from moto.sqs.models import Queue, SQSBackend

    require_source(SQSBackend.send_message, [READ], "SQSBackend.send_message")
    send_code = SQSBackend.send_message.__code__
    full = cast(property, Queue.__dict__["attributes"]).fget
    full = getattr(full, "__wrapped__", full) if is_ours(full) else full  # a second install wraps moto's, not ours
    assert full is not None

    def attributes(self: Any) -> dict[str, Any]:
        if sys._getframe(1).f_code is send_code:  # the one read above: this attribute only
            value = self.content_based_deduplication
            return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}
        answer: dict[str, Any] = full(self)
        return answer

    attributes.__wrapped__ = full  # type: ignore[attr-defined]
    attributes.__local_cloud_patch__ = True  # type: ignore[attr-defined]  # a property cannot carry the mark
    return Installation([replace(Queue, "attributes", property(attributes))])
