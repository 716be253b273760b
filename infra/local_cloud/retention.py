"""Retention: the local cloud forgets what only a developer looks at once it is older than
``LOCAL_CLOUD_RETENTION_SECONDS`` (default 3600), so that a long run does not keep it for ever (what the stack
stores, its tables' items above all, still grows: docs/speed-and-cost.md measures it):

- a Step Functions execution that ended before the cutoff, with its history (DescribeExecution then answers
  ``ExecutionDoesNotExist``, as AWS does once it no longer keeps an execution);
- a log stream whose last event is older than the cutoff.

AWS keeps both far longer (90 days for a Standard execution; log groups' ``RetentionInDays``); the saga's own
records, in DynamoDB, are never touched. A stream that still receives events is kept whole: dropping its first
events would shift the positions GetLogEvents' tokens point at.

Each sweep also lets go of the threads moto's ASL interpreter has finished with: it appends every execution's and
every Task state's thread to a module list (``TMP_THREADS``, which only LocalStack's shutdown reads) and never
removes one, about 1 KB a thread, six threads a checkout."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from local_cloud.periodic import Periodic

DEFAULT_RETENTION_SECONDS = 3600.0


def retention_seconds(environ: dict[str, str] | os._Environ[str] = os.environ) -> float:
    value = environ.get("LOCAL_CLOUD_RETENTION_SECONDS", "")
    if not value:
        return DEFAULT_RETENTION_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"LOCAL_CLOUD_RETENTION_SECONDS must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"LOCAL_CLOUD_RETENTION_SECONDS must be above 0, not {value!r}")
    return seconds


def _backends(backend_dict: Any) -> Iterator[Any]:
    for regions in list(backend_dict.values()):
        yield from list(regions.values())


def expire_executions(cutoff: datetime) -> int:
    """Forget the executions that ended before `cutoff`; how many."""
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    expired = 0
    # moto keeps two sets of backends: its own, and its ASL interpreter's (which the local cloud runs)
    for backend in [*_backends(stepfunctions_backends), *_backends(stepfunctions_parser_backends)]:
        for machine in list(backend.state_machines):
            for execution in [e for e in list(machine.executions) if _ended_before(e, cutoff)]:
                machine.executions.remove(execution)  # one by one: an execution started meanwhile stays
                expired += 1
    return expired


def _ended_before(execution: Any, cutoff: datetime) -> bool:
    stopped = getattr(execution, "stop_date", None)
    if stopped is None:
        return False
    if stopped.tzinfo is None:  # moto's own executions carry naive UTC times, its ASL interpreter's aware ones
        stopped = stopped.replace(tzinfo=UTC)
    return bool(stopped < cutoff)


def expire_log_streams(cutoff: datetime) -> int:
    """Delete the log streams whose last event (or creation, if empty) is older than `cutoff`; how many."""
    from moto.logs.models import logs_backends

    cutoff_ms = cutoff.timestamp() * 1000
    expired = 0
    for backend in _backends(logs_backends):
        for group in list(backend.groups.values()):
            for name, stream in list(group.streams.items()):
                events = stream.events
                last_ms = events[-1].timestamp if events else _millis(stream.creation_time)
                if last_ms < cutoff_ms:
                    group.streams.pop(name, None)
                    expired += 1
    return expired


def forget_finished_interpreter_threads() -> int:
    """Drop the finished threads from the ASL interpreter's thread list; how many. In place: its modules hold the
    list itself (a thread appended meanwhile may be dropped from the list too, which only a shutdown reads)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    threads = list(TMP_THREADS)
    running = [thread for thread in threads if thread.is_alive()]
    TMP_THREADS[:] = running
    return len(threads) - len(running)


def _millis(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


class RetentionSweeper(Periodic):
    """Applies the retention every tenth of it (at most every minute)."""

    def __init__(self, seconds: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self.seconds = retention_seconds() if seconds is None else seconds
        super().__init__(period=min(60.0, self.seconds / 10), name="retention")
        self._clock = clock

    def run_once(self) -> tuple[int, int]:
        return self.sweep()

    def sweep(self) -> tuple[int, int]:
        """Forget what ended before the cutoff: (executions, log streams) forgotten. Let go of finished threads."""
        cutoff = datetime.fromtimestamp(self._clock() - self.seconds, UTC)
        forget_finished_interpreter_threads()
        return expire_executions(cutoff), expire_log_streams(cutoff)
