"""The console's alarms panel: every CloudWatch alarm of the cloud with its state, read with DescribeAlarms as a
client would (the local cloud evaluates them: ``cloudwatch.alarms``), those in ALARM first."""

from __future__ import annotations

from typing import Any

from local_cloud.console.cloud_reader import CloudReader

# State -> the role the list's status badges use.
STATE_ROLES = {"ALARM": "stuck", "OK": "succeeded", "INSUFFICIENT_DATA": "in-progress"}
_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}


def alarm_states(reader: CloudReader) -> list[dict[str, Any]]:
    pages = reader.client("cloudwatch").get_paginator("describe_alarms")
    alarms = [alarm for page in pages.paginate(AlarmTypes=["MetricAlarm"]) for alarm in page["MetricAlarms"]]
    rows = [
        {
            "name": str(alarm["AlarmName"]),
            "state": str(alarm["StateValue"]),
            "stateRole": STATE_ROLES.get(str(alarm["StateValue"]), ""),
            "metric": f"{alarm.get('Namespace', '')} {alarm.get('MetricName', '')}".strip(),
            "reason": str(alarm.get("StateReason", "")),
            "since": str(alarm.get("StateUpdatedTimestamp", "")),
        }
        for alarm in alarms
    ]
    return sorted(rows, key=lambda row: (_ORDER.get(row["state"], 3), row["name"]))
