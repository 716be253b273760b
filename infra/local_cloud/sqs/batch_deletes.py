"""DeleteMessageBatch deletes its messages in one pass over the queue, and the pollers delete in batches.

moto 5.2.5's ``SQSBackend.delete_message_batch`` deletes message by message, and ``Queue.delete_message`` walks
every message of the queue twice per deletion, building each message's list of receipt handles each time:
deleting a queue's N messages costs N² steps. A replay's 10,000 events into the read model's queue left the server
deleting for minutes. The seam does for the whole batch, in one walk, what moto's deletion does for each message:
the message leaves the queue and its pending set, every receipt handle it had is remembered as deleted; a handle
deleted before succeeds again, one the queue never gave is refused (ReceiptHandleIsInvalid), as moto answers.
Lambda's pollers delete with DeleteMessageBatch; so do the local cloud's (events/event_sources.py).
"""

from __future__ import annotations

from typing import Any

from local_cloud.seams import Installation, replace, require_signature, require_source

_MOTO_STEPS = [
    "message.had_receipt_handle(receipt_handle)",
    "self.pending_messages.discard(message)",
    "self.deleted_messages.update(message.all_receipt_handles)",
    "self._messages = new_messages",
]


def install() -> Installation:
    from moto.sqs.models import Queue, SQSBackend

    require_source(Queue.delete_message, _MOTO_STEPS, "Queue.delete_message")
    original = SQSBackend.delete_message_batch
    require_signature(original, ["self", "queue_name", "receipts"], "SQSBackend.delete_message_batch")
    require_source(original, ['self.delete_message(queue_name, receipt_and_id["ReceiptHandle"])'], "batch")

    def delete_message_batch(
        self: Any, queue_name: str, receipts: list[dict[str, Any]]
    ) -> tuple[list[str], list[dict[str, Any]]]:
        queue = self.get_queue(queue_name)
        wanted = {str(receipt["ReceiptHandle"]) for receipt in receipts}
        found: set[str] = set()
        with queue._messages_lock:  # a send meanwhile would append to the list this one replaces (queue_lock.py)
            # A handle is one message's, so the walk ends once each handle not deleted before has its message: a
            # poller deletes what it received, the oldest, near the head of a queue a replay made deep.
            missing = wanted - queue.deleted_messages
            messages, kept = queue._messages, []
            for position, message in enumerate(messages):
                if not missing:
                    kept.extend(messages[position:])
                    break
                had = missing.intersection(message.all_receipt_handles)
                if had:
                    found |= had
                    missing -= had
                    queue.pending_messages.discard(message)
                    queue.deleted_messages.update(message.all_receipt_handles)
                    continue
                kept.append(message)
            queue._messages = kept
        success, errors = [], []
        for receipt in receipts:
            handle = str(receipt["ReceiptHandle"])
            if handle in found or handle in queue.deleted_messages:
                success.append(receipt["Id"])
            else:
                errors.append(
                    {
                        "Id": receipt["Id"],
                        "SenderFault": True,
                        "Code": "ReceiptHandleIsInvalid",
                        "Message": f'The input receipt handle "{handle}" is not a valid receipt handle.',
                    }
                )
        return success, errors

    return Installation([replace(SQSBackend, "delete_message_batch", delete_message_batch)])
