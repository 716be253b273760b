"""Starts (and stops) a saga's state machine. The execution's name is the saga's id, so a start that is retried
(by botocore, by a client, by a replayed request) can never run a second saga for the same order."""

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name>"""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", *parts[6:], name])


class StepFunctionsSagaStarter:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def start(self, name: str, saga_input: Mapping[str, object]) -> str:
        try:
            response = self._client.start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(saga_input)
            )
            return str(response["executionArn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
        return execution_arn(self._state_machine_arn, name)

    def stop(self, name: str, error: str, cause: str) -> None:
        try:
            self._client.stop_execution(
                executionArn=execution_arn(self._state_machine_arn, name), error=error, cause=cause[:32768]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
