"""Event delivery's seams on moto, installed together."""

from __future__ import annotations

from local_cloud.events import event_sources, queue_policies
from local_cloud.seams import Installation


def install_all() -> Installation:
    parts = [event_sources.install(), queue_policies.install()]
    return Installation([part.uninstall for part in parts])
