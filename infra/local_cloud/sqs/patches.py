"""SQS's seams on moto."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud.seams import Installation, install_each
from local_cloud.sqs import (
    batch_deletes,
    message_clock,
    message_moves,
    queue_counts,
    queue_lock,
    receipt_handles,
    receive_retention,
    send_attributes,
    visible_messages,
)


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each(
        {
            "message_move_tasks": message_moves.install,
            "send_attributes": send_attributes.install,
            "receive_retention": receive_retention.install,
            "queue_counts": queue_counts.install,
            "batch_deletes": batch_deletes.install,
            "visible_messages": visible_messages.install,
            "receipt_handles": receipt_handles.install,
            "message_clock": message_clock.install,
            "queue_lock": queue_lock.install,  # last: it wraps the seams above
        },
        without,
    )
