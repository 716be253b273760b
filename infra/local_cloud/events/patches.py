"""Event delivery's seams on moto, installed together."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud.events import event_sources, queue_policies, replays
from local_cloud.seams import Installation, install_each


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each(
        {
            "event_source_mappings": event_sources.install,
            "queue_policies": queue_policies.install,
            "archive_replays": replays.install,
        },
        without,
    )
