"""Starts (and stops) a saga's state machine. The execution's name is the saga's id: on a Standard workflow a
start that is retried (by botocore, by a client, by a replayed request) can never run a second saga for the same
order. An Express workflow keeps no names: a retried start runs a second execution of the same input, which the
steps are built to absorb (docs/scale.md), and its executions cannot be stopped by the API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import error_code

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_stepfunctions.client import SFNClient


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<machine>[:<alias or version>] -> ...:execution:<machine>:<name>
    (an execution started through an alias or a version belongs to its state machine: its ARN names no qualifier)."""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


class StepFunctionsSagaStarter:
    def __init__(self, client: SFNClient, state_machine_arn: str, express: bool = False) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn
        self._express = express

    def start(self, name: str, saga_input: Mapping[str, object]) -> str:
        try:
            response = self._client.start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(saga_input)
            )
            return str(response["executionArn"])
        except ClientError as exc:
            if self._express or error_code(exc) != "ExecutionAlreadyExists":
                raise
        return execution_arn(self._state_machine_arn, name)

    def stop(self, name: str, error: str, cause: str) -> None:
        if self._express:
            # StopExecution refuses an Express execution (InvalidArn). Nothing is lost: the caller has fenced the
            # order first, so the execution still running cannot confirm it and ends in the undo.
            return
        try:
            self._client.stop_execution(
                executionArn=execution_arn(self._state_machine_arn, name), error=error, cause=cause[:32768]
            )
        except ClientError as exc:
            if error_code(exc) != "ExecutionDoesNotExist":
                raise
