"""A choreographed saga has no execution: its page shows what its saga log recorded instead, in the shape of an
execution's history (each transition, when it came and how long until the next) and its failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def transitions(item: dict[str, Any]) -> list[dict[str, Any]]:
    recorded = [(str(entry["state"]), _instant(str(entry["at"]))) for entry in item.get("history") or []]
    if not recorded:
        return []
    origin = recorded[0][1]
    return [
        {
            "state": state,
            "type": "Transition",
            "enteredMs": _ms(origin, at),
            "durationMs": _ms(at, recorded[n + 1][1]) if n + 1 < len(recorded) else None,
            "attempts": [],
            "retries": 0,
            "caught": False,
        }
        for n, (state, at) in enumerate(recorded)
    ]


def failures(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The step that failed, then the undo that failed after it (as an execution's caught states)."""
    return [
        {"step": found["step"], "error": found["error"], "cause": found.get("cause")}
        for found in (item.get("failure"), item.get("compensationFailure"))
        if found
    ]


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _ms(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() * 1000)
