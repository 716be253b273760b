"""The local cloud's retention (LOCAL_CLOUD_RETENTION_SECONDS): ended executions and idle log streams older than
it are forgotten, running executions and live streams are kept, and a bad value stops the start."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from local_cloud.retention import (
    DEFAULT_RETENTION_SECONDS,
    RetentionSweeper,
    forget_finished_interpreter_threads,
    retention_seconds,
)
from local_cloud.server import LocalCloud

WAITS = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "End": True}}}


def _finished(sfn: Any, execution: str) -> dict[str, Any]:
    for _ in range(200):
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{execution} still running")


def _ended_then_running(sfn: Any, role_arn: str, ended: int = 1) -> str:
    """A Wait machine's `ended` executions run to their end, then one that waits two minutes: its ARN."""
    machine = sfn.create_state_machine(
        name=f"retention-{uuid.uuid4().hex[:6]}", definition=json.dumps(WAITS), roleArn=role_arn
    )["stateMachineArn"]
    for _ in range(ended):
        execution = sfn.start_execution(stateMachineArn=machine, input='{"seconds": 0}')["executionArn"]
        assert _finished(sfn, execution)["status"] == "SUCCEEDED"
    return str(sfn.start_execution(stateMachineArn=machine, input='{"seconds": 120}')["executionArn"])


def test_ended_executions_older_than_the_retention_are_forgotten_running_ones_kept(
    cloud: LocalCloud, aws: Callable[[str], Any], machine_role_arn: str
) -> None:
    sfn = aws("stepfunctions")
    running = _ended_then_running(sfn, machine_role_arn)
    machine = sfn.describe_execution(executionArn=running)["stateMachineArn"]
    ended = next(
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=machine)["executions"]
        if e["status"] != "RUNNING"
    )
    try:
        RetentionSweeper(seconds=600, clock=lambda: time.time() + 599).sweep()
        assert sfn.describe_execution(executionArn=ended)["status"] == "SUCCEEDED"  # not yet old enough

        executions, _ = RetentionSweeper(seconds=600, clock=lambda: time.time() + 601).sweep()

        assert executions >= 1
        with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
            sfn.describe_execution(executionArn=ended)
        assert sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
        listed = [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
        assert listed == [running]
    finally:
        sfn.stop_execution(executionArn=running)


def test_the_interpreters_finished_threads_are_let_go_its_running_ones_kept(
    cloud: LocalCloud, aws: Callable[[str], Any], machine_role_arn: str
) -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = aws("stepfunctions")
    running = _ended_then_running(sfn, machine_role_arn, ended=3)
    try:
        assert sum(not thread.is_alive() for thread in TMP_THREADS) >= 3  # what moto's interpreter leaves behind
        alive_before = [thread for thread in TMP_THREADS if thread.is_alive()]

        RetentionSweeper(seconds=600).sweep()

        assert all(thread.is_alive() for thread in TMP_THREADS)
        assert set(alive_before) <= set(TMP_THREADS)  # the running execution's thread is still listed
        assert forget_finished_interpreter_threads() == 0
        assert sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
    finally:
        sfn.stop_execution(executionArn=running)


def test_log_streams_idle_longer_than_the_retention_are_deleted_live_ones_kept(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    logs = aws("logs")
    group = f"/retention/{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    now_ms = int(time.time() * 1000)
    for stream, age_s in (("idle", 700), ("live", 10)):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now_ms - age_s * 1000, "message": f"{stream} line"}],
        )

    _, streams = RetentionSweeper(seconds=600).sweep()

    assert streams >= 1
    remaining = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [stream["logStreamName"] for stream in remaining] == ["live"]
    events = logs.get_log_events(logGroupName=group, logStreamName="live", startFromHead=True)["events"]
    assert [event["message"] for event in events] == ["live line"]


def test_the_retention_is_an_hour_unless_set_and_a_bad_value_is_named() -> None:
    assert retention_seconds({}) == DEFAULT_RETENTION_SECONDS == 3600
    assert retention_seconds({"LOCAL_CLOUD_RETENTION_SECONDS": "90"}) == 90
    for bad in ("soon", "0", "-5"):
        with pytest.raises(ValueError, match="LOCAL_CLOUD_RETENTION_SECONDS"):
            retention_seconds({"LOCAL_CLOUD_RETENTION_SECONDS": bad})


def test_a_bad_retention_stops_the_start_before_anything_binds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_CLOUD_RETENTION_SECONDS", "soon")
    with pytest.raises(ValueError, match="not 'soon'"):
        LocalCloud().start()
