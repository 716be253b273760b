"""Which KMS key the local IAM enforcement authorizes a request on (a key id, its ARN, or "*")."""

from __future__ import annotations

from local_cloud.iam.resources import request_checks

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_key_id_or_arn_is_authorized_on_the_keys_arn() -> None:
    for key in (KEY_ARN, KEY_ARN.rsplit("/", 1)[1]):
        checks = request_checks("kms", "Encrypt", {"KeyId": key}, region="us-east-1", account="123456789012")
        assert checks == [("kms:Encrypt", KEY_ARN)]


def test_a_request_naming_no_key_or_an_alias_is_authorized_on_any_resource() -> None:
    assert request_checks("kms", "Decrypt", {}, region="us-east-1", account="1") == [("kms:Decrypt", "*")]
    alias = {"KeyId": "alias/payment-tokens"}
    assert request_checks("kms", "Encrypt", alias, region="us-east-1", account="1") == [("kms:Encrypt", "*")]
