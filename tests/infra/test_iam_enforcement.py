"""IAM as AWS enforces it, on a running local cloud: who signs, which action, which resource, and the
credentials Lambda workers get. Every check goes through the server's HTTP endpoint with plain boto3."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.account import LOCAL_CLOUD_ACCOUNT_ID
from local_cloud.iam.resources import request_checks
from local_cloud.iam.role_credentials import RoleCredentials, RoleNotAssumable
from local_cloud.server import LocalCloud
from tests.infra.conftest import allow, make_zip, trust_policy

ACCOUNT = LOCAL_CLOUD_ACCOUNT_ID
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"


def _client(cloud: LocalCloud, service: str, credentials: dict[str, str]) -> Any:
    return boto3.client(
        service,
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )


def _table(aws: Callable[[str], Any], name: str, index: bool = False) -> None:
    extra: dict[str, Any] = {}
    definitions = [{"AttributeName": "id", "AttributeType": "S"}]
    if index:
        definitions.append({"AttributeName": "status", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "byStatus",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=definitions,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


@pytest.fixture(scope="module")
def tables(aws: Callable[[str], Any]) -> tuple[str, str]:
    _table(aws, "iam-allowed", index=True)
    _table(aws, "iam-other")
    return "iam-allowed", "iam-other"


@pytest.fixture(scope="module")
def role(aws: Callable[[str], Any], tables: tuple[str, str]) -> str:
    """A Lambda role allowed Get/Put/UpdateItem on the first table only, and to read one parameter."""
    iam = aws("iam")
    arn = str(iam.create_role(RoleName="iam-scoped", AssumeRolePolicyDocument=trust_policy())["Role"]["Arn"])
    iam.put_role_policy(
        RoleName="iam-scoped",
        PolicyName="table",
        PolicyDocument=allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], TABLE_ARN + tables[0]),
    )
    iam.put_role_policy(
        RoleName="iam-scoped",
        PolicyName="parameter",
        PolicyDocument=allow(["ssm:GetParameter"], f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/iam/allowed"),
    )
    return arn


@pytest.fixture(scope="module")
def as_role(cloud: LocalCloud, role: str) -> Callable[[str], Any]:
    credentials = RoleCredentials().for_role(role, "iam-test", "lambda.amazonaws.com").environment()
    return lambda service: _client(cloud, service, credentials)


def _denied(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return str(raised.value.response["Error"]["Message"])


def _item(key: str) -> dict[str, Any]:
    return {"id": {"S": key}}


def test_the_test_key_is_the_accounts_administrator(aws: Callable[[str], Any], tables: tuple[str, str]) -> None:
    aws("dynamodb").put_item(TableName=tables[1], Item=_item("admin"))
    assert aws("dynamodb").get_item(TableName=tables[1], Key=_item("admin"))["Item"] == _item("admin")


def test_an_unknown_key_is_refused(cloud: LocalCloud, tables: tuple[str, str]) -> None:
    stranger = _client(cloud, "dynamodb", {"AWS_ACCESS_KEY_ID": "AKIASTRANGER", "AWS_SECRET_ACCESS_KEY": "x"})
    with pytest.raises(ClientError) as raised:
        stranger.get_item(TableName=tables[0], Key=_item("a"))
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_wrong_secret_is_refused(cloud: LocalCloud, role: str, tables: tuple[str, str]) -> None:
    credentials = RoleCredentials().for_role(role, "iam-test", "lambda.amazonaws.com").environment()
    forged = _client(cloud, "dynamodb", {**credentials, "AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    with pytest.raises(ClientError) as raised:
        forged.get_item(TableName=tables[0], Key=_item("a"))
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_policy_scoped_to_one_table_allows_that_table_only(
    as_role: Callable[[str], Any], aws: Callable[[str], Any], tables: tuple[str, str]
) -> None:
    allowed, other = tables
    as_role("dynamodb").put_item(TableName=allowed, Item=_item("mine"))
    assert aws("dynamodb").get_item(TableName=allowed, Key=_item("mine"))["Item"] == _item("mine")

    message = _denied(lambda: as_role("dynamodb").update_item(TableName=other, Key=_item("x")))
    assert "assumed-role/iam-scoped/iam-test" in message
    assert f"dynamodb:UpdateItem on resource: {TABLE_ARN}{other}" in message
    assert "Item" not in aws("dynamodb").get_item(TableName=other, Key=_item("x"))  # nothing was written


def test_an_action_the_policy_does_not_list_is_denied(as_role: Callable[[str], Any], tables: tuple[str, str]) -> None:
    _denied(lambda: as_role("dynamodb").delete_item(TableName=tables[0], Key=_item("mine")))
    _denied(lambda: as_role("dynamodb").scan(TableName=tables[0]))


def test_a_transaction_needs_each_items_action_on_each_table(
    as_role: Callable[[str], Any], aws: Callable[[str], Any], tables: tuple[str, str]
) -> None:
    allowed, other = tables
    both = [
        {"Put": {"TableName": allowed, "Item": _item("t-1")}},
        {"Put": {"TableName": other, "Item": _item("t-1")}},
    ]
    message = _denied(lambda: as_role("dynamodb").transact_write_items(TransactItems=both))
    assert f"dynamodb:PutItem on resource: {TABLE_ARN}{other}" in message
    assert "Item" not in aws("dynamodb").get_item(TableName=allowed, Key=_item("t-1"))  # all or nothing

    as_role("dynamodb").transact_write_items(TransactItems=both[:1])
    assert aws("dynamodb").get_item(TableName=allowed, Key=_item("t-1"))["Item"] == _item("t-1")
    # A condition check is an action of its own.
    check = {
        "ConditionCheck": {"TableName": allowed, "Key": _item("t-1"), "ConditionExpression": "attribute_exists(id)"}
    }
    _denied(lambda: as_role("dynamodb").transact_write_items(TransactItems=[check]))


def test_a_batch_is_authorized_on_every_table_it_names(as_role: Callable[[str], Any], tables: tuple[str, str]) -> None:
    allowed, other = tables
    message = _denied(
        lambda: as_role("dynamodb").batch_get_item(
            RequestItems={allowed: {"Keys": [_item("a")]}, other: {"Keys": [_item("a")]}}
        )
    )
    assert "dynamodb:BatchGetItem" in message


def test_a_query_on_an_index_is_authorized_on_the_index(as_role: Callable[[str], Any], tables: tuple[str, str]) -> None:
    message = _denied(
        lambda: as_role("dynamodb").query(
            TableName=tables[0],
            IndexName="byStatus",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "x"}},
        )
    )
    assert f"on resource: {TABLE_ARN}{tables[0]}/index/byStatus" in message


def test_parameters_are_authorized_by_their_arn(as_role: Callable[[str], Any], aws: Callable[[str], Any]) -> None:
    aws("ssm").put_parameter(Name="/iam/allowed", Value="yes", Type="String")
    aws("ssm").put_parameter(Name="/iam/secret", Value="no", Type="String")
    assert as_role("ssm").get_parameter(Name="/iam/allowed")["Parameter"]["Value"] == "yes"
    message = _denied(lambda: as_role("ssm").get_parameter(Name="/iam/secret"))
    assert f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/iam/secret" in message


def test_expired_credentials_are_refused(cloud: LocalCloud, role: str, tables: tuple[str, str]) -> None:
    short = RoleCredentials(duration_seconds=1, renew_before_seconds=0)
    client = _client(cloud, "dynamodb", short.for_role(role, "short", "lambda.amazonaws.com").environment())
    client.get_item(TableName=tables[0], Key=_item("a"))
    time.sleep(1.5)
    with pytest.raises(ClientError) as raised:
        client.get_item(TableName=tables[0], Key=_item("a"))
    assert raised.value.response["Error"]["Code"] == "ExpiredTokenException"


def test_a_role_only_the_named_service_may_assume(aws: Callable[[str], Any]) -> None:
    arn = aws("iam").create_role(
        RoleName="iam-states-only", AssumeRolePolicyDocument=trust_policy("states.amazonaws.com")
    )
    with pytest.raises(RoleNotAssumable, match=r"lambda\.amazonaws\.com"):
        RoleCredentials().for_role(arn["Role"]["Arn"], "f", "lambda.amazonaws.com")


def test_credentials_are_reused_then_renewed_before_they_expire(aws: Callable[[str], Any], role: str) -> None:
    now = [1_000_000.0]
    roles = RoleCredentials(duration_seconds=3600, renew_before_seconds=1200, clock=lambda: now[0])
    first = roles.for_role(role, "f", "lambda.amazonaws.com")
    now[0] += 2399  # 1201 s left: still good
    assert roles.for_role(role, "f", "lambda.amazonaws.com") == first
    now[0] += 1  # 1200 s left: renewed
    renewed = roles.for_role(role, "f", "lambda.amazonaws.com")
    assert renewed.access_key_id != first.access_key_id
    assert renewed.expiration.timestamp() == pytest.approx(now[0] + 3600)
    assert renewed.environment()["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")


# -- Lambda workers and the state machine run as their roles ----------------------------------------

WHOAMI = make_zip(
    {
        "whoami.py": """
        import boto3

        sts = boto3.client("sts")  # created once, at INIT: it must follow renewed credentials

        def handler(event, context):
            identity = sts.get_caller_identity()["Arn"]
            key = sts._request_signer._credentials.get_frozen_credentials().access_key
            return {"arn": identity, "key": key}
        """
    }
)


def test_a_worker_runs_with_its_roles_renewed_credentials(
    cloud: LocalCloud, aws: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials that last 4 s and are renewed when 3 s are left (AWS: an hour, renewed well before).
    monkeypatch.setattr(cloud.roles, "duration_seconds", 4)
    monkeypatch.setattr(cloud.roles, "renew_before_seconds", 3)
    arn = aws("iam").create_role(RoleName="whoami", AssumeRolePolicyDocument=trust_policy())["Role"]["Arn"]
    aws("lambda").create_function(
        FunctionName="whoami", Runtime="python3.11", Role=arn, Handler="whoami.handler", Code={"ZipFile": WHOAMI}
    )

    def whoami() -> dict[str, str]:
        response = aws("lambda").invoke(FunctionName="whoami", Payload=b"{}")
        assert "FunctionError" not in response, response["Payload"].read()
        return dict(json.loads(response["Payload"].read()))

    first = whoami()
    assert first["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/whoami/whoami"
    assert first["key"] != "test"
    time.sleep(1.5)  # past the renewal point: the next call brings new credentials to the warm worker
    second = whoami()
    assert second["arn"] == first["arn"]
    assert second["key"] != first["key"]


def _finished(sfn: Any, machine: str) -> dict[str, Any]:
    """An execution of the machine with no input, once it ended."""
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return dict(described)


def test_the_state_machine_invokes_only_what_its_role_allows(aws: Callable[[str], Any]) -> None:
    iam, lam, sfn = aws("iam"), aws("lambda"), aws("stepfunctions")
    function_role = iam.create_role(RoleName="iam-fn", AssumeRolePolicyDocument=trust_policy())["Role"]["Arn"]
    for name in ("iam-granted", "iam-forbidden"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=function_role,
            Handler="whoami.handler",
            Code={"ZipFile": WHOAMI},
        )
    machine_role = iam.create_role(
        RoleName="iam-machine", AssumeRolePolicyDocument=trust_policy("states.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="iam-machine",
        PolicyName="invoke",
        PolicyDocument=allow(["lambda:InvokeFunction"], f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:iam-granted"),
    )

    def run(function: str) -> dict[str, Any]:
        definition = {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function}",
                    "End": True,
                }
            },
        }
        machine = sfn.create_state_machine(
            name=f"m-{function}", definition=json.dumps(definition), roleArn=machine_role
        )
        return _finished(sfn, machine["stateMachineArn"])

    assert run("iam-granted")["status"] == "SUCCEEDED"
    refused = run("iam-forbidden")
    assert refused["status"] == "FAILED"
    assert "is not authorized to perform: lambda:InvokeFunction" in refused["cause"]
    assert "function:iam-forbidden" in refused["cause"]


def test_an_alias_is_invoked_only_with_a_policy_naming_it(aws: Callable[[str], Any]) -> None:
    """As on AWS: a policy naming the function's unqualified ARN does not allow invoking its alias, and one naming
    the alias does not allow the unqualified function."""
    iam, lam, sfn = aws("iam"), aws("lambda"), aws("stepfunctions")
    function_role = iam.create_role(RoleName="iam-aliased-fn", AssumeRolePolicyDocument=trust_policy())["Role"]
    lam.create_function(
        FunctionName="iam-aliased",
        Runtime="python3.11",
        Role=function_role["Arn"],
        Handler="whoami.handler",
        Code={"ZipFile": WHOAMI},
    )
    version = lam.publish_version(FunctionName="iam-aliased")["Version"]
    lam.create_alias(FunctionName="iam-aliased", Name="live", FunctionVersion=version)
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:iam-aliased"

    runs = iter(range(3))

    def outcome(granted: str, invoked: str) -> dict[str, Any]:
        run = next(runs)
        role = f"iam-alias-{run}"
        machine_role = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy("states.amazonaws.com"))
        iam.put_role_policy(
            RoleName=role, PolicyName="invoke", PolicyDocument=allow(["lambda:InvokeFunction"], granted)
        )
        definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": invoked, "End": True}}}
        machine = sfn.create_state_machine(
            name=f"alias-{run}",
            definition=json.dumps(definition),
            roleArn=machine_role["Role"]["Arn"],
        )
        return _finished(sfn, machine["stateMachineArn"])

    refused = outcome(granted=function, invoked=f"{function}:live")
    assert refused["status"] == "FAILED"
    assert f"lambda:InvokeFunction on resource: {function}:live" in refused["cause"]
    assert outcome(granted=f"{function}:live", invoked=f"{function}:live")["status"] == "SUCCEEDED"
    assert outcome(granted=f"{function}:live", invoked=function)["status"] == "FAILED"


# -- which resources a request names ----------------------------------------------------------------


def test_request_checks_of_each_service() -> None:
    where = {"region": "us-east-1", "account": ACCOUNT}
    assert request_checks(
        "dynamodb", "TransactGetItems", {"TransactItems": [{"Get": {"TableName": "a"}}]}, **where
    ) == [("dynamodb:GetItem", TABLE_ARN + "a")]
    assert request_checks("states", "StartExecution", {"stateMachineArn": "arn:sm"}, **where) == [
        ("states:StartExecution", "arn:sm")
    ]
    assert request_checks("lambda", "Invoke", {}, path="/2015-03-31/functions/f/invocations", **where) == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f")
    ]
    assert request_checks(
        "lambda",
        "Invoke",
        {},
        path=f"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A{ACCOUNT}%3Afunction%3Ag%3A1/invocations",
        **where,
    ) == [("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:g:1")]
    # A qualifier in the query string (as the SDKs send Invoke's Qualifier) qualifies the ARN; one in the name wins.
    assert request_checks(
        "lambda", "Invoke", {}, path="/2015-03-31/functions/f/invocations", qualifier="live", **where
    ) == [("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:live")]
    assert request_checks(
        "lambda", "Invoke", {}, path="/2015-03-31/functions/f%3A2/invocations", qualifier="live", **where
    ) == [("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:2")]
    assert request_checks("sts", "GetCallerIdentity", {}, **where) == [("sts:GetCallerIdentity", "*")]
