"""The payment-token key's policy, as template.yaml writes it: ApiFunction may only seal, and only with an order id
as encryption context; the account administers the key through IAM but cannot use it."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.awslambda.invocation_credentials import acting_as
from local_cloud.iam.role_credentials import RoleCredentials
from tests.api.conftest import REGION, Cloud


def _refused(call: Callable[[], object]) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_api_seals_only_with_an_order_id_and_cannot_open(cloud: Cloud) -> None:
    with cloud.role.acting():
        kms = boto3.client("kms", region_name=REGION)
        sealed = kms.encrypt(KeyId=cloud.payment_token_key, Plaintext=b"tok", EncryptionContext={"orderId": "o-1"})
        _refused(lambda: kms.encrypt(KeyId=cloud.payment_token_key, Plaintext=b"tok"))
        _refused(lambda: kms.encrypt(KeyId=cloud.payment_token_key, Plaintext=b"tok", EncryptionContext={"x": "1"}))
        _refused(
            lambda: kms.decrypt(
                CiphertextBlob=sealed["CiphertextBlob"],
                KeyId=cloud.payment_token_key,
                EncryptionContext={"orderId": "o-1"},
            )
        )


def test_an_administrator_through_iam_administers_the_key_but_cannot_use_it(cloud: Cloud) -> None:
    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    name = "KeyAdministratorRole"
    if name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="kms", PolicyDocument=json.dumps(everything))
    credentials = RoleCredentials().for_role(
        iam.get_role(RoleName=name)["Role"]["Arn"], "admin", "lambda.amazonaws.com"
    )

    with acting_as(credentials.environment()):
        kms = boto3.client("kms", region_name=REGION)
        assert kms.describe_key(KeyId=cloud.payment_token_key)["KeyMetadata"]["Arn"] == cloud.payment_token_key
        _refused(lambda: kms.encrypt(KeyId=cloud.payment_token_key, Plaintext=b"t", EncryptionContext={"orderId": "o"}))
