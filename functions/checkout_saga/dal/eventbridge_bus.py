"""Putting entries on an EventBridge bus, ten per PutEvents request (its limit). If the bus refuses any entry
the whole call fails (EventsNotPublished): the stream that invoked the caller delivers its batch again, so events
are sent at least once and every consumer is idempotent."""

from typing import Any

PUT_EVENTS_MAX = 10  # entries per PutEvents request


class EventsNotPublished(Exception):
    """The bus refused some entries: the stream will deliver the batch again."""


def put_all(events: Any, entries: list[dict[str, Any]]) -> None:
    for start in range(0, len(entries), PUT_EVENTS_MAX):
        answer = events.put_events(Entries=entries[start : start + PUT_EVENTS_MAX])
        if answer.get("FailedEntryCount"):
            failures = [entry.get("ErrorCode") for entry in answer.get("Entries", []) if entry.get("ErrorCode")]
            raise EventsNotPublished(f"{answer['FailedEntryCount']} events not published: {failures}")
