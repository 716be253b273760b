"""What a function's own log says of its failed calls. An API answering 502 is a Lambda that failed (an error, a
timeout, a crashed runtime), and its client sees only "Internal server error": the cause is in the log."""

from __future__ import annotations

from typing import Any

# The lines of a failed call: the runtime's "[ERROR] ..." for an exception, Lambda's own for a call it ended.
FAILURE_MARKS = ("[ERROR]", "Task timed out", "Runtime exited", "Init timed out")
LINE_CHARACTERS = 300


def recent_failures(logs: Any, function: str, since_ms: int, limit: int = 3) -> list[str]:
    """The last `limit` failure lines since `since_ms` (epoch milliseconds) in the logs of every function whose
    name holds `function` ("ApiFunction"), each as "group: first line of the message"."""
    found: list[tuple[int, str]] = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/"):
        for group in page["logGroups"]:
            name = group["logGroupName"]
            if function not in name:
                continue
            for events in logs.get_paginator("filter_log_events").paginate(logGroupName=name, startTime=since_ms):
                found += [
                    (event["timestamp"], f"{name}: {event['message'].strip().splitlines()[0][:LINE_CHARACTERS]}")
                    for event in events["events"]
                    if any(mark in event["message"] for mark in FAILURE_MARKS)
                ]
    return [line for _, line in sorted(found)[-limit:]]
