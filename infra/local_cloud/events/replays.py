"""An archive replay replays what EventBridge would: the archived events whose time lies in the replay's window
and that the archive still keeps (its RetentionDays).

moto 5.2.5's ``Replay.replay_events`` sends every event the archive ever took, whatever ``EventStartTime``,
``EventEndTime`` and the retention say: a replay of the last hour would replay everything. And it sends each one to
every rule of the bus, whatever the destination's ``FilterArns`` name: EventBridge sends a replay only to the rules
listed there, when there is a list. The seam routes only the events of the window, each marked as moto marks it (a
new ``id``, and ``replay-name``), to those rules alone.

moto also replays inside the StartReplay request, which then lasts as long as the replay: thousands of events
outlast an SDK's read timeout, and the SDK's retry of the request finds its own replay and fails with
ResourceAlreadyExists. EventBridge answers at once (STARTING) and replays in the background (RUNNING, then
COMPLETED, or FAILED): so does the seam, on a thread of its own."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any, cast

from local_cloud.seams import Installation, replace, require_signature

_DAY_SECONDS = 86400
_log = logging.getLogger(__name__)


def install() -> Installation:
    from moto.events.models import Replay, ReplayState, events_backends
    from moto.moto_api._internal import mock_random as random

    original = Replay.replay_events
    require_signature(original, ["self", "archive"], "Replay.replay_events")

    def replay_events(self: Any, archive: Any) -> None:
        start, end = moment(self.event_start_time), moment(self.event_end_time)
        kept_since = time.time() - int(archive.retention) * _DAY_SECONDS if archive.retention else float("-inf")
        window = [
            event
            for event in archive.events
            if start <= moment(event.get("time", 0)) < end and moment(event.get("time", 0)) >= kept_since
        ]
        bus = events_backends[self.account_id][self.region].describe_event_bus(self.destination["Arn"].split("/")[-1])
        only = set(self.destination.get("FilterArns") or ())
        rules = [rule for rule in bus.rules.values() if not only or rule.arn in only]
        self.state = ReplayState.RUNNING

        def run() -> None:
            try:
                for event in window:  # marked as moto marks a replayed event, once for the bus as on EventBridge
                    marked = dict(event, **{"id": str(random.uuid4()), "replay-name": self.name})
                    for rule in rules:
                        rule.send_to_targets(cast(Any, dict(marked)), transform_input=False)  # moto types it loosely
                self.state, self.end_time = ReplayState.COMPLETED, time.time()
            except Exception:
                _log.exception("replay %s failed", self.name)
                self.state, self.end_time = ReplayState.FAILED, time.time()

        threading.Thread(target=run, name=f"replay-{self.name}", daemon=True).start()

    return Installation([replace(Replay, "replay_events", replay_events)])


def moment(value: Any) -> float:
    """Epoch seconds of a time as the API or moto carries it: a number, or ISO 8601 text."""
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(str(value)).timestamp()
