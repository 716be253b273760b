"""The seams where moto is patched: each fails loudly if a moto upgrade moves it, and each is shown
to work, in-process (mock_aws + InProcessRunner) and in server mode (LocalCloud + worker pool)."""

from __future__ import annotations

import base64
import inspect
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud import seams
from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.events import queue_policies
from local_cloud.patches import install_all
from local_cloud.server import LocalCloud
from tests.infra.conftest import ROLE_POLICY, allow, make_zip, trust_policy

SAGA_CODE = make_zip(
    {
        "saga.py": """
        import os, boto3

        class PaymentDeclined(Exception):
            pass

        def charge(event, context):
            print("charging", event["orderId"])
            if event["token"] == "tok_declined":
                raise PaymentDeclined("card declined")
            return {**event, "charged": True}

        def refund(event, context):
            table = boto3.resource("dynamodb").Table(os.environ["TABLE"])  # through AWS_ENDPOINT_URL
            table.put_item(Item={"orderId": event["orderId"], "status": "REFUNDED"})
            return {**event, "refunded": True}
        """
    }
)


def saga_definition(charge_arn: str, refund_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": charge_arn,
                "Catch": [{"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.error", "Next": "Refund"}],
                "Next": "Confirmed",
            },
            "Refund": {"Type": "Task", "Resource": refund_arn, "Next": "Cancelled"},
            "Confirmed": {"Type": "Succeed"},
            "Cancelled": {"Type": "Fail", "Error": "Cancelled", "Cause": "payment declined"},
        },
    }


def deploy_saga(client: Callable[[str], Any], role_arn: str, table: str) -> str:
    """The functions run as ``role_arn``, granted PutItem on ``table``; the state machine gets a role of its own
    that may invoke them."""
    iam = client("iam")
    role_name, account = role_arn.rsplit("/", 1)[1], role_arn.split(":")[4]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="orders",
        PolicyDocument=allow(["dynamodb:PutItem"], f"arn:aws:dynamodb:us-east-1:{account}:table/{table}"),
    )
    # Not the conftest's `<role>-machine` (moto's IAM outlives a module's server): this one may invoke seam-* only.
    machine_role_name = f"{role_name}-seam-machine"
    machine_role = iam.create_role(
        RoleName=machine_role_name, AssumeRolePolicyDocument=trust_policy("states.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=machine_role_name,
        PolicyName="invoke",
        PolicyDocument=allow(["lambda:InvokeFunction"], f"arn:aws:lambda:us-east-1:{account}:function:seam-*"),
    )
    lam = client("lambda")
    arns = {}
    for name in ("charge", "refund"):
        arns[name] = lam.create_function(
            FunctionName=f"seam-{name}",
            Runtime="python3.11",
            Role=role_arn,
            Handler=f"saga.{name}",
            Code={"ZipFile": SAGA_CODE},
            Environment={"Variables": {"TABLE": table}},
            Timeout=10,
        )["FunctionArn"]
    client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = json.dumps(saga_definition(arns["charge"], arns["refund"]))
    return str(
        client("stepfunctions").create_state_machine(name="seam", definition=definition, roleArn=machine_role)[
            "stateMachineArn"
        ]
    )


def run(client: Callable[[str], Any], machine: str, document: dict[str, Any]) -> tuple[str, list[str], str]:
    """Start without a name (as `awslocal stepfunctions start-execution` does): (status, states, arn)."""
    sfn = client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(document))["executionArn"]
    deadline = time.monotonic() + 30
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.02)
    events = sfn.get_execution_history(executionArn=arn)["events"]
    states = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    return status, states, arn


# -- the seams are where we expect them --------------------------------------------------------------


def test_lambda_seam_exists() -> None:
    from moto.awslambda.models import LambdaFunction

    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]
    invoke = inspect.getsource(LambdaFunction.invoke)
    assert "self._invoke_lambda(event=body)" in invoke
    assert 'response_headers["x-amz-function-error"]' in invoke  # what makes errors errors downstream
    # function_spec() reads these; a rename would otherwise surface as an AttributeError mid-invoke.
    init = inspect.getsource(LambdaFunction.__init__) + inspect.getsource(LambdaFunction._set_function_code)
    for attribute in (
        "function_name",
        "handler",
        "environment_vars",
        "timeout",
        "memory_size",
        "code_bytes",
        "code_sha_256",
        "logs_backend",
        "logs_group_name",
        "run_time",
        "package_type",
        "function_arn",
    ):
        assert f"self.{attribute}" in init, attribute


def test_step_functions_reads_lambdas_error_type() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

    assert 'invocation_resp.get("FunctionError")' in inspect.getsource(lambda_eval_utils.exec_lambda_function)
    assert 'cause_object["errorType"]' in inspect.getsource(StateTaskLambda._from_error)
    assert 'cause_object["errorType"]' in inspect.getsource(state_task_service_lambda.StateTaskServiceLambda)


def test_execution_name_seam_exists() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    parameters = list(inspect.signature(StepFunctionsParserBackend.start_execution).parameters)
    assert parameters == ["self", "state_machine_arn", "name", "execution_input", "trace_header"]


def test_client_cache_seam_exists_and_ignores_credentials() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    assert list(inspect.signature(boto_client.boto_client_for).parameters) == ["region", "service", "state_credentials"]
    # Caching per (region, service) is only safe while the credentials play no part in the client.
    assert inspect.getsource(boto_client.boto_client_for).count("state_credentials") == 1
    assert hasattr(boto_client, "botocore_stubber")
    assert hasattr(boto_client, "moto_server_port")


def test_config_seam_exists() -> None:
    from moto.core.config import default_user_config
    from moto.settings import moto_server_port

    assert "execute_state_machine" in default_user_config["stepfunctions"]
    assert "MOTO_PORT" in inspect.getsource(moto_server_port)


def test_queue_delivery_seams_exist() -> None:
    from moto.events.models import Rule
    from moto.sns.models import Subscription

    send = Rule._send_to_sqs_queue
    assert list(inspect.signature(send).parameters) == queue_policies.SEND_TO_QUEUE_PARAMETERS
    # The check reads the rule's queue where moto sends: by name, in the rule's own account and region.
    assert "sqs_backends[self.account_id][self.region_name].send_message(" in "".join(inspect.getsource(send).split())
    assert list(inspect.signature(Subscription.publish).parameters) == queue_policies.PUBLISH_PARAMETERS
    publish = inspect.getsource(Subscription.publish)
    assert 'if self.protocol == "sqs":' in publish
    assert "sqs_backends[self.account_id][region]" in publish  # region from the endpoint ARN, as the check does


def test_patches_install_and_uninstall() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.events.models import Rule
    from moto.sns.models import Subscription
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    eval_utils: Any = lambda_eval_utils  # it uses boto_client_for without re-exporting it

    def current() -> tuple[Any, ...]:
        return (
            LambdaFunction._invoke_lambda,
            StepFunctionsParserBackend.start_execution,
            eval_utils.boto_client_for,
            Rule._send_to_sqs_queue,
            Subscription.publish,
        )

    originals = current()
    runner = InProcessRunner()
    with install_all(runner, port=1234):
        patched = current()
        assert all(p is not o for p, o in zip(patched, originals, strict=True))
        assert eval_utils.boto_client_for("us-east-1", "lambda") is eval_utils.boto_client_for("us-east-1", "lambda")
    runner.close()
    assert current() == originals


def test_a_moved_seam_fails_loudly() -> None:
    def moved(self: Any, event: Any, context: Any) -> None: ...

    with pytest.raises(seams.SeamChanged, match="moto changed this seam"):
        seams.require_signature(moved, ["self", "event"], "LambdaFunction._invoke_lambda")


# -- in-process: mock_aws + InProcessRunner -----------------------------------------------------------


@pytest.fixture
def in_process() -> Iterator[Callable[[str], Any]]:
    runner = InProcessRunner()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), install_all(runner):
        yield lambda service: boto3.client(service, region_name="us-east-1")
    runner.close()


def test_in_process_invoke_error_logs_and_catch(in_process: Callable[[str], Any]) -> None:
    role = in_process("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    machine = deploy_saga(in_process, role, "orders")

    response = in_process("lambda").invoke(
        FunctionName="seam-charge", Payload=json.dumps({"orderId": "o-0", "token": "tok_declined"}), LogType="Tail"
    )
    assert response["FunctionError"]
    assert json.loads(response["Payload"].read())["errorType"] == "PaymentDeclined"
    assert "charging o-0" in base64.b64decode(response["LogResult"]).decode()

    assert run(in_process, machine, {"orderId": "o-1", "token": "tok_visa"})[:2] == (
        "SUCCEEDED",
        ["Charge", "Confirmed"],
    )
    status, states, _ = run(in_process, machine, {"orderId": "o-2", "token": "tok_declined"})
    assert (status, states) == ("FAILED", ["Charge", "Refund", "Cancelled"])

    logs = in_process("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/seam-charge")["logStreams"]
    messages = [
        e["message"]
        for s in streams
        for e in logs.get_log_events(logGroupName="/aws/lambda/seam-charge", logStreamName=s["logStreamName"])["events"]
    ]
    assert "charging o-2" in messages
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") for m in messages)


def test_nameless_executions_get_uuid_names(in_process: Callable[[str], Any]) -> None:
    role = in_process("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    sfn = in_process("stepfunctions")
    machine = sfn.create_state_machine(
        name="pass",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=role,
    )["stateMachineArn"]

    first = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    assert first != second
    for arn in (first, second):
        name = arn.rsplit(":", 1)[1]
        assert name != "None"
        assert len(name) == 36
    named = sfn.start_execution(stateMachineArn=machine, name="mine", input="{}")["executionArn"]
    assert named.endswith(":mine")


def test_an_execution_is_stopped_even_before_its_program_has_started(
    in_process: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    role = in_process("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    sfn = in_process("stepfunctions")
    held = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})
    machine = sfn.create_state_machine(name="held", definition=held, roleArn=role)["stateMachineArn"]
    parse = ExecutionWorker._get_evaluation_entrypoint

    def slow_parse(self: Any) -> Any:  # the window moto leaves: the program's thread still parsing
        time.sleep(0.3)
        return parse(self)

    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint", slow_parse)
    started = sfn.start_execution(stateMachineArn=machine, name="stopped-at-once", input="{}")["executionArn"]

    sfn.stop_execution(executionArn=started)  # answered 500 before the seam: the program had no environment yet

    deadline = time.monotonic() + 10  # moto's program thread then ends the execution
    while (status := sfn.describe_execution(executionArn=started)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, "the stopped execution still runs"
        time.sleep(0.02)
    assert status == "ABORTED"


# -- server mode: LocalCloud + worker pool, Lambdas calling back through AWS_ENDPOINT_URL ------------


def test_server_mode_saga_with_catch(cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str) -> None:
    machine = deploy_saga(aws, role_arn, "seam-orders")

    assert run(aws, machine, {"orderId": "o-1", "token": "tok_visa"})[:2] == ("SUCCEEDED", ["Charge", "Confirmed"])
    status, states, arn = run(aws, machine, {"orderId": "o-2", "token": "tok_declined"})

    assert (status, states) == ("FAILED", ["Charge", "Refund", "Cancelled"])
    assert arn.rsplit(":", 1)[1] != "None"
    item = aws("dynamodb").get_item(TableName="seam-orders", Key={"orderId": {"S": "o-2"}})["Item"]
    assert item["status"] == {"S": "REFUNDED"}  # written by the worker, back through the endpoint
    history = aws("stepfunctions").get_execution_history(executionArn=arn)["events"]
    failed = next(e for e in history if e["type"] == "LambdaFunctionFailed")
    assert failed["lambdaFunctionFailedEventDetails"]["error"] == "PaymentDeclined"
