"""The local cloud's IAM enforcement decides with AWS's evaluation logic on real requests: NotResource,
case-insensitive actions, conditions in identity policies (encryption context, leading keys, principal ARN),
unknown conditions refused loudly, KMS keys named by alias, key policies and an event bus's policy."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.account import LOCAL_CLOUD_ACCOUNT_ID
from local_cloud.iam.role_credentials import RoleCredentials
from local_cloud.server import LocalCloud
from tests.infra.conftest import trust_policy

ACCOUNT = LOCAL_CLOUD_ACCOUNT_ID
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

Clients = Callable[[str], Any]


def _role(aws: Clients, name: str, *statements: dict[str, Any]) -> str:
    iam = aws("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy())["Role"]["Arn"])
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(RoleName=name, PolicyName="policy", PolicyDocument=json.dumps(document))
    return arn


def _as(cloud: LocalCloud, role_arn: str) -> Clients:
    env = RoleCredentials().for_role(role_arn, "logic", "lambda.amazonaws.com").environment()
    return lambda service: boto3.client(
        service,
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )


def _denied(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    return str(raised.value.response["Error"]["Message"])


@pytest.fixture(scope="module")
def tables(aws: Clients) -> tuple[str, str]:
    for name in ("logic-orders", "logic-other"):
        aws("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "customerId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "customerId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws("dynamodb").put_item(TableName=name, Item={"customerId": {"S": "c-1"}})
    return "logic-orders", "logic-other"


def _get(clients: Clients, table: str, customer: str = "c-1") -> Any:
    return clients("dynamodb").get_item(TableName=table, Key={"customerId": {"S": customer}})


def test_a_deny_with_not_resource_denies_every_other_resource(
    cloud: LocalCloud, aws: Clients, tables: tuple[str, str]
) -> None:
    arn = _role(
        aws,
        "logic-not-resource",
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE_ARN + tables[0]},
    )
    clients = _as(cloud, arn)
    assert _get(clients, tables[0])["Item"]["customerId"] == {"S": "c-1"}
    assert "logic-other" in _denied(lambda: _get(clients, tables[1]))


def test_action_names_match_whatever_their_case(cloud: LocalCloud, aws: Clients, tables: tuple[str, str]) -> None:
    arn = _role(aws, "logic-case", {"Effect": "Allow", "Action": "DynamoDB:getitem", "Resource": TABLE_ARN + "logic-*"})
    assert _get(_as(cloud, arn), tables[0])["Item"]


def test_leading_keys_restrict_a_role_to_its_partition(
    cloud: LocalCloud, aws: Clients, tables: tuple[str, str]
) -> None:
    arn = _role(
        aws,
        "logic-leading-keys",
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": TABLE_ARN + tables[0],
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["c-1"]}},
        },
    )
    clients = _as(cloud, arn)
    assert _get(clients, tables[0])["Item"]
    _denied(lambda: _get(clients, tables[0], "c-2"))
    answer = clients("dynamodb").query(
        TableName=tables[0],
        KeyConditionExpression="#c = :c",
        ExpressionAttributeNames={"#c": "customerId"},
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )
    assert answer["Count"] == 1
    _denied(
        lambda: clients("dynamodb").query(
            TableName=tables[0],
            KeyConditionExpression="customerId = :c",
            ExpressionAttributeValues={":c": {"S": "c-2"}},
        )
    )


def test_an_unknown_condition_key_is_refused_loudly(
    cloud: LocalCloud, aws: Clients, tables: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    arn = _role(
        aws,
        "logic-unknown-key",
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
        },
    )
    caplog.set_level(logging.ERROR, logger="local_cloud.iam.enforcement")
    message = _denied(lambda: _get(_as(cloud, arn), tables[0]))
    assert "aws:RequestedRegion" in message
    assert "aws:RequestedRegion" in caplog.text


def test_a_deny_on_a_negated_condition_holds_in_identity_policies(
    cloud: LocalCloud, aws: Clients, tables: tuple[str, str]
) -> None:
    arn = _role(
        aws,
        "logic-negated",
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "dynamodb:GetItem",
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}},
        },
    )
    _denied(lambda: _get(_as(cloud, arn), tables[0]))


# -- KMS: aliases, encryption context, key policies -----------------------------------------------------


@pytest.fixture(scope="module")
def key(aws: Clients) -> tuple[str, str]:
    """A key whose policy delegates to IAM (the account's root), and its alias."""
    arn = str(aws("kms").create_key(Description="logic")["KeyMetadata"]["Arn"])
    aws("kms").create_alias(AliasName="alias/logic-tokens", TargetKeyId=arn)
    return arn, "alias/logic-tokens"


def test_a_grant_on_the_key_allows_a_call_naming_its_alias(
    cloud: LocalCloud, aws: Clients, key: tuple[str, str]
) -> None:
    arn = _role(aws, "logic-kms-key", {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key[0]})
    clients = _as(cloud, arn)
    for name in (key[1], f"arn:aws:kms:us-east-1:{ACCOUNT}:{key[1]}", key[0]):
        assert clients("kms").encrypt(KeyId=name, Plaintext=b"x")["KeyId"] == key[0]


def test_a_grant_on_the_alias_arn_alone_does_not_allow_using_the_key(
    cloud: LocalCloud, aws: Clients, key: tuple[str, str]
) -> None:
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:{key[1]}"
    arn = _role(aws, "logic-kms-alias", {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": alias_arn})
    _denied(lambda: _as(cloud, arn)("kms").encrypt(KeyId=key[1], Plaintext=b"x"))


def test_request_alias_lets_a_role_use_the_key_only_through_that_alias(
    cloud: LocalCloud, aws: Clients, key: tuple[str, str]
) -> None:
    arn = _role(
        aws,
        "logic-kms-request-alias",
        {
            "Effect": "Allow",
            "Action": "kms:Encrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:RequestAlias": key[1]}},
        },
    )
    clients = _as(cloud, arn)
    assert clients("kms").encrypt(KeyId=key[1], Plaintext=b"x")["KeyId"] == key[0]
    _denied(lambda: clients("kms").encrypt(KeyId=key[0], Plaintext=b"x"))


def test_an_encryption_context_condition_is_enforced(cloud: LocalCloud, aws: Clients, key: tuple[str, str]) -> None:
    arn = _role(
        aws,
        "logic-kms-context",
        {
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": key[0],
            "Condition": {"Null": {"kms:EncryptionContext:orderId": "false"}},
        },
    )
    kms = _as(cloud, arn)("kms")
    sealed = kms.encrypt(KeyId=key[0], Plaintext=b"x", EncryptionContext={"orderId": "o-1"})["CiphertextBlob"]
    _denied(lambda: kms.encrypt(KeyId=key[0], Plaintext=b"x"))
    # Decrypt names no key: it is the ciphertext's, and its policy and the role's grant decide.
    assert kms.decrypt(CiphertextBlob=sealed, EncryptionContext={"orderId": "o-1"})["Plaintext"] == b"x"
    _denied(lambda: kms.decrypt(CiphertextBlob=sealed))


def test_a_key_policy_that_keeps_use_from_the_account_is_obeyed(cloud: LocalCloud, aws: Clients) -> None:
    user = _role(aws, "logic-kms-user", {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    stranger = _role(aws, "logic-kms-stranger", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": ["kms:Describe*", "kms:Put*"], "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    key_arn = str(aws("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])
    sealed = aws("kms").encrypt(KeyId=key_arn, Plaintext=b"x")["CiphertextBlob"]
    assert _as(cloud, user)("kms").decrypt(CiphertextBlob=sealed, KeyId=key_arn)["Plaintext"] == b"x"
    _denied(lambda: _as(cloud, stranger)("kms").decrypt(CiphertextBlob=sealed, KeyId=key_arn))
    _denied(lambda: _as(cloud, stranger)("kms").encrypt(KeyId=key_arn, Plaintext=b"x"))
    assert _as(cloud, stranger)("kms").describe_key(KeyId=key_arn)["KeyMetadata"]["Arn"] == key_arn


# -- an event bus's policy ----------------------------------------------------------------------------


def test_a_bus_policy_admits_only_the_publisher(cloud: LocalCloud, aws: Clients) -> None:
    bus_arn = str(aws("events").create_event_bus(Name="logic-bus")["EventBusArn"])
    grant = {"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
    publisher = _role(aws, "logic-publisher", grant)
    other = _role(aws, "logic-not-publisher", grant)
    only_the_publisher = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyThePublisher",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publisher}},
            }
        ],
    }
    entry = {"EventBusName": "logic-bus", "Source": "test", "DetailType": "t", "Detail": "{}"}
    assert _as(cloud, other)("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    aws("events").put_permission(EventBusName="logic-bus", Policy=json.dumps(only_the_publisher))
    assert _as(cloud, publisher)("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert "logic-bus" in _denied(lambda: _as(cloud, other)("events").put_events(Entries=[entry]))
