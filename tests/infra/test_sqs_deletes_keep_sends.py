"""The SQS seam `queue_lock` (local_cloud/sqs/queue_lock.py): a message sent while others are received and deleted
is never lost. moto rebuilds the queue's list of messages on each deletion and puts the new list in place of the
old one, unlocked: two deletions at once, and a send between them, lose the sent message. Without the seam this
test lost 9 of its 2,000 messages (and a deleter met ReceiptHandleIsInvalid for a message it held); a replay's
events, sent while four pollers drained the read model's queue, lost some the same way."""

from __future__ import annotations

import threading
from typing import Any

from moto import mock_aws

from local_cloud.sqs import patches

SENT = 2000
DELETERS = 4
BALLAST = 1000  # delayed messages no one receives: each deletion walks them, as it walks a deep queue


def _sends_during_deletes(without: tuple[str, ...]) -> tuple[int, int]:  # without=("queue_lock",) loses some
    """Sent messages, and those either deleted or still in the queue, after deleters and a sender ran at once."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    with mock_aws(), patches.install_all(without=without):
        sqs: Any = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        queue = sqs.create_queue("q")
        for _ in range(BALLAST):
            sqs.send_message("q", "-1", delay_seconds=900)
        deleted: list[int] = []
        sending = threading.Event()

        def send() -> None:
            for number in range(SENT):
                sqs.send_message("q", str(number))
            sending.set()

        def delete(alone: bool) -> None:
            while True:
                received = sqs.receive_message("q", 10, 1, 60)  # a long poll, as the pollers' (it waits unlocked)
                if not received:
                    if sending.is_set():
                        return
                    continue
                if alone:  # as a client's DeleteMessage
                    for message in received:
                        sqs.delete_message("q", message.receipt_handle)
                else:  # as a poller's DeleteMessageBatch
                    entries = [{"Id": str(n), "ReceiptHandle": m.receipt_handle} for n, m in enumerate(received)]
                    sqs.delete_message_batch("q", entries)
                deleted.extend(int(m.body) for m in received)

        threads = [threading.Thread(target=send)] + [
            threading.Thread(target=delete, args=(n == 0,)) for n in range(DELETERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        left = {int(m.body) for m in queue._messages} - {-1}
        return SENT, len(set(deleted) | left)


def test_no_message_sent_while_others_are_received_and_deleted_is_lost() -> None:
    sent, accounted = _sends_during_deletes(without=())
    assert accounted == sent
