"""The measurements of the Step Functions speed seams (``python -m local_cloud.measure``).

- Parsing once (definitions, JSONPaths): one execution of a saga-shaped definition, six steps each with a Retry,
  a Catch and a ResultPath, and their undo steps, every Task a trivial function run by the in-process runner;
  the time is the execution's, from StartExecution to its end, handler calls included.
- The interpreter's Lambda client: one Task's Lambda call in server mode, through ``DirectLambdaClient`` and, in
  the other arm, as moto's own ``boto_client_for`` makes it (a new boto3 client, a request over HTTP to the
  server), with the account's key (moto's own, ``ak``, is no key IAM enforcement knows). A LocalCloud serves it
  in this process; its worker runs the handler in a process of its own, whose time is not counted.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import time
import zipfile
from collections.abc import Iterator
from typing import Any

from local_cloud.measure import InProcessTrial, Measurement, Trial, in_process

ACCOUNT, REGION = "123456789012", "us-east-1"
_STEPS = ("Create", "Reserve", "Charge", "Confirm", "Notify", "Close")
_EXECUTIONS_PER_ROUND = 6
_CALLS_PER_ROUND = 40
_HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("step.py", _HANDLER)
    return buffer.getvalue()


def saga_definition(function_arn: str) -> dict[str, Any]:
    """Each step retried on a transient error and caught into the undo of the steps before it."""
    states: dict[str, Any] = {}
    for number, step in enumerate(_STEPS):
        states[step] = {
            "Type": "Task",
            "Resource": function_arn,
            "ResultPath": f"$.results.{step}",
            "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"Undo{number}"}],
            "Next": _STEPS[number + 1] if number + 1 < len(_STEPS) else "Done",
        }
        states[f"Undo{number}"] = {
            "Type": "Task",
            "Resource": function_arn,
            "ResultPath": None,
            "Next": f"Undo{number - 1}" if number else "Undone",
        }
    states["Done"] = {"Type": "Succeed"}
    states["Undone"] = {"Type": "Fail", "Error": "Undone"}
    return {"StartAt": _STEPS[0], "States": states}


def _trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def deploy_function(client: Any) -> str:
    """The trivial function, and its role; its ARN."""
    role = client("iam").create_role(RoleName="measure-step", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com"))
    return str(
        client("lambda").create_function(
            FunctionName="measure-step",
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="step.handler",
            Code={"ZipFile": handler_zip()},
        )["FunctionArn"]
    )


class SagaExecution(InProcessTrial):
    def __init__(self, runner: Any, measurement: Measurement) -> None:
        import boto3

        super().__init__(runner, measurement)

        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION)

        function_arn = deploy_function(client)
        iam = client("iam")
        machine_role = iam.create_role(
            RoleName="measure-machine", AssumeRolePolicyDocument=_trust("states.amazonaws.com")
        )
        policy = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn}
        iam.put_role_policy(
            RoleName="measure-machine",
            PolicyName="invoke",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
        )
        self.machine_arn = str(
            client("stepfunctions").create_state_machine(
                name="measure-saga",
                definition=json.dumps(saga_definition(function_arn)),
                roleArn=machine_role["Role"]["Arn"],
            )["stateMachineArn"]
        )
        self._names = itertools.count()

    def round(self) -> int:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        for _ in range(_EXECUTIONS_PER_ROUND):
            started = self.app.call(
                "states",
                "AWSStepFunctions.StartExecution",
                {"stateMachineArn": self.machine_arn, "name": f"run-{next(self._names)}", "input": '{"a": 1}'},
            )
            while (status := backend.describe_execution(started["executionArn"]).status) == "RUNNING":
                time.sleep(0.002)  # asking the backend costs microseconds: the execution's thread does the work
            if status != "SUCCEEDED":
                raise RuntimeError(f"the measured execution ended {status}")
        return _EXECUTIONS_PER_ROUND


class LambdaTaskCall:
    """One Task's Lambda call in server mode; the seam's arm calls through DirectLambdaClient."""

    def __init__(self, endpoint_url: str, function_arn: str) -> None:
        from local_cloud.stepfunctions.direct_lambda import DirectLambdaClient

        self.endpoint_url = endpoint_url
        self.function_arn = function_arn
        self.direct = DirectLambdaClient(REGION)
        self.seam_on = True

    @contextlib.contextmanager
    def arm(self, seam_on: bool) -> Iterator[None]:
        self.seam_on = seam_on
        yield

    def before_round(self) -> None:
        pass

    def round(self) -> int:
        import boto3
        from botocore.config import Config

        for _ in range(_CALLS_PER_ROUND):
            if self.seam_on:
                answer = self.direct.invoke(FunctionName=self.function_arn, Payload=b'{"a": 1}')
            else:  # what moto's boto_client_for builds for every Task, with a key IAM enforcement knows
                client = boto3.client(
                    "lambda",
                    region_name=REGION,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id="test",
                    aws_secret_access_key="test",
                    config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1}),
                )
                answer = client.invoke(FunctionName=self.function_arn, Payload=b'{"a": 1}')
            if json.load(answer["Payload"]) != {"ok": True}:
                raise RuntimeError("the measured call did not run the handler")
        return _CALLS_PER_ROUND


@contextlib.contextmanager
def lambda_task_call(measurement: Measurement) -> Iterator[Trial]:
    import boto3

    from local_cloud.server import LocalCloud

    with LocalCloud() as cloud:

        def client(service: str) -> Any:
            return boto3.client(
                service,
                region_name=REGION,
                endpoint_url=cloud.endpoint_url,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )

        yield LambdaTaskCall(cloud.endpoint_url, deploy_function(client))


_EXECUTION = "an execution of 6 steps (Retry, Catch, ResultPath each), trivial handlers run in-process"
MEASUREMENTS = [
    Measurement(
        "program_cache",
        _EXECUTION,
        "moto.stepfunctions.parser.backend.execution_worker.ExecutionWorker._get_evaluation_entrypoint",
        in_process(SagaExecution),
    ),
    Measurement(
        "jsonpath_cache",
        _EXECUTION,
        "moto.stepfunctions.parser.asl.utils.json_path.parse",
        in_process(SagaExecution),
    ),
    Measurement(
        "sfn_client_cache",
        "one Task's Lambda call in server mode (this process: client and server, not the handler)",
        "moto.stepfunctions.parser.asl.utils.boto_client.boto_client_for",
        lambda_task_call,
    ),
]
