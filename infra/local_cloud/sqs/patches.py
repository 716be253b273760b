"""SQS's seams on moto."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud.seams import Installation, install_each
from local_cloud.sqs import message_moves, send_attributes


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each(
        {"message_move_tasks": message_moves.install, "send_attributes": send_attributes.install}, without
    )
