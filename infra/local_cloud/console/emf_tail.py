"""The EMF data of the Lambda log groups, read incrementally: the console polls the metrics every few seconds,
and re-reading every log line each time would cost more the longer the cloud runs. A stream is read again only
when it grew, from where the last read stopped (GetLogEvents' forward token)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from local_cloud.cloudwatch.emf import Datum, data_in

LAMBDA_LOG_GROUPS = "/aws/lambda/"


@dataclass
class _Stream:
    size: int = -1  # storedBytes when last read
    token: str | None = None
    data: list[Datum] = field(default_factory=list)


class EmfTail:
    def __init__(self, logs_client: Any, group_prefix: str = LAMBDA_LOG_GROUPS) -> None:
        self._logs = logs_client
        self._prefix = group_prefix
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._lock = threading.Lock()  # two browser tabs polling at once read each new line once

    def data(self) -> list[Datum]:
        with self._lock:
            seen = set()
            for group in self._paginate("describe_log_groups", "logGroups", logGroupNamePrefix=self._prefix):
                group_name = group["logGroupName"]
                for stream in self._paginate("describe_log_streams", "logStreams", logGroupName=group_name):
                    key = (group_name, stream["logStreamName"])
                    seen.add(key)
                    self._catch_up(key, int(stream.get("storedBytes") or 0))
            for gone in set(self._streams) - seen:  # the cloud was reset
                del self._streams[gone]
            return [datum for stream in self._streams.values() for datum in stream.data]

    def _catch_up(self, key: tuple[str, str], size: int) -> None:
        state = self._streams.get(key)
        if state is None or size < state.size:
            state = self._streams[key] = _Stream()
        if size == state.size:
            return
        while True:
            kwargs: dict[str, Any] = {"logGroupName": key[0], "logStreamName": key[1], "startFromHead": True}
            if state.token:
                kwargs["nextToken"] = state.token
            page = self._logs.get_log_events(**kwargs)
            for event in page["events"]:
                state.data.extend(data_in(str(event["message"])))
            token = page.get("nextForwardToken")
            if not page["events"] or token == state.token:
                break
            state.token = token
        state.size = size

    def _paginate(self, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        return [item for page in self._logs.get_paginator(operation).paginate(**kwargs) for item in page[key]]
