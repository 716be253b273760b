"""ReceiveMessage reads its queue's retention period, not every attribute of the queue, for each message.

moto 5.2.5's ``SQSBackend.receive_message`` checks every message it hands out with
``is_message_valid_based_on_retention_period``, which asks ``get_queue_attributes(queue, ["MessageRetentionPeriod"])``.
That computes the queue's full attributes three times, among them the three approximate message counts, each a pass
over every message of the queue: a receive of 100 messages from a queue 10,000 deep walked some nine million
messages. The read model's poller drains a replay that way, so a replay's cost grew with the square of its size.
The seam reads the one attribute, as moto stores it (an int, converted when the queue was created or set), and
decides as moto does; GetQueueAttributes itself still computes everything.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time

from local_cloud.seams import Installation, replace, require_signature, require_source

READ = '["MessageRetentionPeriod"]\n        )["MessageRetentionPeriod"]'  # moto reads it through every attribute


def install() -> Installation:
    from moto.sqs.models import SQSBackend

    original = SQSBackend.is_message_valid_based_on_retention_period
    require_signature(
        original, ["self", "queue_name", "message"], "SQSBackend.is_message_valid_based_on_retention_period"
    )
    require_source(original, [READ, "retention_period + message.sent_timestamp / 1000"], "retention check")

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())

    return Installation(
        [replace(SQSBackend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period)]
    )
