"""A queue's receives, deletions and visibility changes happen one at a time, as its sends already do.

moto 5.2.5 guards only ``Queue.add_message`` with the queue's lock. A deletion rebuilds the queue's list of messages
and puts the new list in place of the old one; a receive walks the list and the queue's set of pending messages.
The server answers on many threads, and the local cloud's pollers (four per queue) receive and delete on threads
of their own: two deletions at once, with a send between them, put back a list without the sent message, which is
lost; a receive meeting another's change of the pending set fails ("Set changed size during iteration") after it
took messages, which then stay in flight until their visibility ends. A replay fills the read model's queue while
the pollers drain it, and some of its events never reached the read model. SQS loses no message: the seam takes
the queue's own lock (moto's ``Queue._messages_lock``, which a long poll already releases while it waits) around
each of these operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_cloud.seams import Installation, replace, require_signature, require_source


def install() -> Installation:
    from moto.sqs.models import Queue, SQSBackend

    require_source(Queue.__init__, ["self._messages_lock = Condition()"], "Queue.__init__")
    require_source(Queue.add_message, ["with self._messages_lock:"], "Queue.add_message")
    receive, delete, change = (
        SQSBackend.receive_message,
        SQSBackend.delete_message,
        SQSBackend.change_message_visibility,
    )
    receiving = ["self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout", "message_attribute_names"]
    require_signature(receive, receiving, "SQSBackend.receive_message")
    require_signature(delete, ["self", "queue_name", "receipt_handle"], "SQSBackend.delete_message")
    changing = ["self", "queue_name", "receipt_handle", "visibility_timeout"]
    require_signature(change, changing, "SQSBackend.change_message_visibility")
    # DeleteMessageBatch: batch_deletes takes the lock itself (moto's own deletes message by message, locked here).
    return Installation(
        [
            replace(SQSBackend, "receive_message", _under_queue_lock(receive)),
            replace(SQSBackend, "delete_message", _under_queue_lock(delete)),
            replace(SQSBackend, "change_message_visibility", _under_queue_lock(change)),
        ]
    )


def _under_queue_lock(operation: Callable[..., Any]) -> Callable[..., Any]:
    def locked(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with self.get_queue(queue_name)._messages_lock:
            return operation(self, queue_name, *args, **kwargs)

    locked.__name__ = locked.__qualname__ = operation.__name__
    return locked
