"""AWS's policy evaluation logic, case by case: each row is a policy, a request and its context, and the
decision AWS documents for it (IAM User Guide, "Policy evaluation logic", "IAM JSON policy elements: Condition
operators", and the KMS and DynamoDB condition keys)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from local_cloud.iam.evaluation import Principal, Request, UnsupportedCondition
from local_cloud.iam.policies import authorized

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Publisher"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Other"
PUBLISHER = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/Publisher/s", ACCOUNT, ROLE)
OTHER = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/Other/s", ACCOUNT, OTHER_ROLE)
CLOUDWATCH = Principal(service="cloudwatch.amazonaws.com")
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders"
OTHER_TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Payments"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/saga"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:CompensationFailed"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

ALLOW, DENY = True, False


def statement(effect: str = "Allow", action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"Effect": effect}
    if action is not None:
        element["Action"] = action
    if resource is not None:
        element["Resource"] = resource
    element.update(extra)
    return element


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def when(operator: str, key: str, value: Any, **extra: Any) -> dict[str, Any]:
    return policy(statement(action="dynamodb:GetItem", resource=TABLE, Condition={operator: {key: value}}, **extra))


def get(context: dict[str, Any] | None = None, resource: str = TABLE, principal: Principal = PUBLISHER) -> Request:
    return Request("dynamodb:GetItem", resource, principal, context or {})


# (case, identity policy, request, resource policy or None, AWS's decision)
IDENTITY: list[tuple[str, dict[str, Any], Request, bool]] = [
    # --- actions: case-insensitive, * and ? wildcards, nothing else
    ("exact action", policy(statement(action="dynamodb:GetItem", resource=TABLE)), get(), ALLOW),
    ("action case differs", policy(statement(action="DynamoDB:getitem", resource=TABLE)), get(), ALLOW),
    ("action wildcard *", policy(statement(action="dynamodb:Get*", resource=TABLE)), get(), ALLOW),
    ("action wildcard ?", policy(statement(action="dynamodb:GetIte?", resource=TABLE)), get(), ALLOW),
    ("? is one character", policy(statement(action="dynamodb:GetIt?", resource=TABLE)), get(), DENY),
    ("a dot is literal", policy(statement(action="dynamodb.GetItem", resource=TABLE)), get(), DENY),
    ("a dot is not any character", policy(statement(action="dynamodb:Get.tem", resource=TABLE)), get(), DENY),
    ("regex syntax is literal", policy(statement(action="dynamodb:Get[I]tem", resource=TABLE)), get(), DENY),
    ("another action", policy(statement(action="dynamodb:PutItem", resource=TABLE)), get(), DENY),
    ("service wildcard", policy(statement(action="dynamodb:*", resource=TABLE)), get(), ALLOW),
    ("action list", policy(statement(action=["s3:GetObject", "dynamodb:GetItem"], resource=TABLE)), get(), ALLOW),
    ("no statement at all: implicit deny", policy(), get(), DENY),
    # --- NotAction
    ("NotAction allows the others", policy(statement(action=None, resource=TABLE, NotAction="s3:*")), get(), ALLOW),
    (
        "NotAction excludes the one named",
        policy(statement(action=None, resource=TABLE, NotAction="dynamodb:GetItem")),
        get(),
        DENY,
    ),
    (
        "Deny NotAction denies the others",
        policy(statement(), statement("Deny", action=None, NotAction=["s3:*"])),
        get(),
        DENY,
    ),
    (
        "Deny NotAction spares the one named",
        policy(statement(), statement("Deny", action=None, NotAction="dynamodb:Get*")),
        get(),
        ALLOW,
    ),
    # --- resources, NotResource
    ("resource of another table", policy(statement(action="dynamodb:GetItem", resource=OTHER_TABLE)), get(), DENY),
    ("resource wildcard", policy(statement(action="dynamodb:GetItem", resource=TABLE[:-3] + "*")), get(), ALLOW),
    ("resource is case-sensitive", policy(statement(action="dynamodb:GetItem", resource=TABLE.lower())), get(), DENY),
    (
        "wildcards in several ARN components",
        policy(statement(action="dynamodb:GetItem", resource="arn:aws:dynamodb:*:*:table/Ord?rs")),
        get(),
        ALLOW,
    ),
    ("no Resource matches nothing", policy(statement(resource=None)), get(), DENY),
    (
        "NotResource allows the others",
        policy(statement(resource=None, NotResource=OTHER_TABLE)),
        get(),
        ALLOW,
    ),
    ("NotResource excludes the one named", policy(statement(resource=None, NotResource=TABLE)), get(), DENY),
    (
        "Deny NotResource denies every other resource",
        policy(statement(), statement("Deny", resource=None, NotResource=OTHER_TABLE)),
        get(),
        DENY,
    ),
    (
        "Deny NotResource spares the one named",
        policy(statement(), statement("Deny", resource=None, NotResource=TABLE)),
        get(),
        ALLOW,
    ),
    # --- explicit deny wins
    ("deny wins over allow", policy(statement(), statement("Deny", action="dynamodb:GetItem")), get(), DENY),
    ("deny of another action", policy(statement(), statement("Deny", action="dynamodb:PutItem")), get(), ALLOW),
    # --- String operators
    (
        "StringEquals holds",
        when("StringEquals", "aws:SourceAccount", ACCOUNT),
        get({"aws:SourceAccount": ACCOUNT}),
        ALLOW,
    ),
    ("StringEquals fails", when("StringEquals", "aws:SourceAccount", "1"), get({"aws:SourceAccount": ACCOUNT}), DENY),
    ("StringEquals, key missing", when("StringEquals", "aws:SourceAccount", ACCOUNT), get(), DENY),
    (
        "StringEquals is case-sensitive",
        when("StringEquals", "kms:ViaService", "SNS"),
        get({"kms:ViaService": "sns"}),
        DENY,
    ),
    (
        "condition key names are case-insensitive",
        when("StringEquals", "AWS:sourceaccount", ACCOUNT),
        get({"aws:SourceAccount": ACCOUNT}),
        ALLOW,
    ),
    (
        "StringNotEquals holds",
        when("StringNotEquals", "aws:SourceAccount", "1"),
        get({"aws:SourceAccount": ACCOUNT}),
        ALLOW,
    ),
    ("StringNotEquals, key missing holds", when("StringNotEquals", "aws:SourceAccount", "1"), get(), ALLOW),
    (
        "StringEqualsIgnoreCase",
        when("StringEqualsIgnoreCase", "kms:ViaService", "SNS.us-east-1.amazonaws.com"),
        get({"kms:ViaService": "sns.us-east-1.amazonaws.com"}),
        ALLOW,
    ),
    (
        "StringNotEqualsIgnoreCase",
        when("StringNotEqualsIgnoreCase", "kms:ViaService", "SNS.x"),
        get({"kms:ViaService": "sns.x"}),
        DENY,
    ),
    (
        "StringLike wildcard",
        when("StringLike", "kms:ViaService", "sns.*.amazonaws.com"),
        get({"kms:ViaService": "sns.us-east-1.amazonaws.com"}),
        ALLOW,
    ),
    (
        "StringLike dot is literal",
        when("StringLike", "kms:ViaService", "sns.us-east-1.amazonaws.com"),
        get({"kms:ViaService": "snsXus-east-1.amazonaws.com"}),
        DENY,
    ),
    (
        "StringNotLike",
        when("StringNotLike", "kms:ViaService", "sns.*"),
        get({"kms:ViaService": "sqs.us-east-1.amazonaws.com"}),
        ALLOW,
    ),
    (
        "values of one key are alternatives",
        when("StringEquals", "aws:SourceAccount", ["1", ACCOUNT]),
        get({"aws:SourceAccount": ACCOUNT}),
        ALLOW,
    ),
    (
        "two keys must both hold",
        statement_policy := policy(
            statement(
                action="dynamodb:GetItem",
                resource=TABLE,
                Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT, "kms:ViaService": "sns.x"}},
            )
        ),
        get({"aws:SourceAccount": ACCOUNT}),
        DENY,
    ),
    ("two keys, both there", statement_policy, get({"aws:SourceAccount": ACCOUNT, "kms:ViaService": "sns.x"}), ALLOW),
    # --- Arn operators
    ("ArnEquals", when("ArnEquals", "aws:SourceArn", ALARM), get({"aws:SourceArn": ALARM}), ALLOW),
    (
        "ArnLike wildcard",
        when("ArnLike", "aws:SourceArn", "arn:aws:cloudwatch:*:*:alarm:*"),
        get({"aws:SourceArn": ALARM}),
        ALLOW,
    ),
    (
        "ArnLike another service",
        when("ArnLike", "aws:SourceArn", "arn:aws:events:*:*:rule/*"),
        get({"aws:SourceArn": ALARM}),
        DENY,
    ),
    ("ArnNotEquals", when("ArnNotEquals", "aws:PrincipalArn", OTHER_ROLE), get(), ALLOW),
    ("ArnNotLike", when("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Pub*"), get(), DENY),
    ("aws:PrincipalArn is the role's ARN", when("ArnEquals", "aws:PrincipalArn", ROLE), get(), ALLOW),
    # --- Bool, Null
    ("Bool true", when("Bool", "aws:SecureTransport", "true"), get({"aws:SecureTransport": "true"}), ALLOW),
    ("Bool false", when("Bool", "aws:SecureTransport", "true"), get({"aws:SecureTransport": "false"}), DENY),
    ("Bool, key missing", when("Bool", "aws:SecureTransport", "false"), get(), DENY),
    ("BoolIfExists, key missing", when("BoolIfExists", "aws:SecureTransport", "false"), get(), ALLOW),
    ("Null true: the key is absent", when("Null", "kms:EncryptionContext:orderId", "true"), get(), ALLOW),
    (
        "Null true: the key is there",
        when("Null", "kms:EncryptionContext:orderId", "true"),
        get({"kms:EncryptionContext:orderId": "o-1"}),
        DENY,
    ),
    (
        "Null false: the key is there",
        when("Null", "kms:EncryptionContext:orderId", "false"),
        get({"kms:EncryptionContext:orderId": "o-1"}),
        ALLOW,
    ),
    # --- Numeric, Date
    (
        "NumericLessThan",
        when("NumericLessThan", "aws:EpochTime", "2000000000"),
        get({"aws:EpochTime": "1700000000"}),
        ALLOW,
    ),
    (
        "NumericGreaterThan",
        when("NumericGreaterThan", "aws:EpochTime", "2000000000"),
        get({"aws:EpochTime": "1700000000"}),
        DENY,
    ),
    (
        "NumericEquals",
        when("NumericEquals", "aws:EpochTime", "1700000000"),
        get({"aws:EpochTime": "1700000000.0"}),
        ALLOW,
    ),
    ("NumericNotEquals", when("NumericNotEquals", "aws:EpochTime", "1"), get({"aws:EpochTime": "1700000000"}), ALLOW),
    (
        "Numeric, not a number",
        when("NumericLessThanEquals", "aws:EpochTime", "10"),
        get({"aws:EpochTime": "ten"}),
        DENY,
    ),
    (
        "NumericGreaterThanEquals",
        when("NumericGreaterThanEquals", "aws:EpochTime", "5"),
        get({"aws:EpochTime": "5"}),
        ALLOW,
    ),
    (
        "DateLessThan",
        when("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
        get({"aws:CurrentTime": "2026-12-06T03:00:00Z"}),
        ALLOW,
    ),
    (
        "DateGreaterThan",
        when("DateGreaterThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
        get({"aws:CurrentTime": "2026-12-06T03:00:00Z"}),
        DENY,
    ),
    (
        "DateEquals, epoch against ISO",
        when("DateEquals", "aws:CurrentTime", "0"),
        get({"aws:CurrentTime": "1970-01-01T00:00:00Z"}),
        ALLOW,
    ),
    (
        "DateLessThanEquals",
        when("DateLessThanEquals", "aws:CurrentTime", "2026-12-06T03:00:00Z"),
        get({"aws:CurrentTime": "2026-12-06T03:00:00Z"}),
        ALLOW,
    ),
    (
        "DateNotEquals",
        when("DateNotEquals", "aws:CurrentTime", "2026-12-06T03:00:00Z"),
        get({"aws:CurrentTime": "2026-12-06T03:00:00Z"}),
        DENY,
    ),
    (
        "DateGreaterThanEquals",
        when("DateGreaterThanEquals", "aws:CurrentTime", "2026-12-06"),
        get({"aws:CurrentTime": "2026-12-06T03:00:00Z"}),
        ALLOW,
    ),
    # --- IfExists
    ("StringEqualsIfExists, key missing", when("StringEqualsIfExists", "kms:ViaService", "sns.x"), get(), ALLOW),
    (
        "StringEqualsIfExists, key differs",
        when("StringEqualsIfExists", "kms:ViaService", "sns.x"),
        get({"kms:ViaService": "sqs.x"}),
        DENY,
    ),
    (
        "ArnLikeIfExists, key there",
        when("ArnLikeIfExists", "aws:SourceArn", "arn:aws:events:*:*:rule/*"),
        get({"aws:SourceArn": ALARM}),
        DENY,
    ),
    # --- multi-valued keys
    (
        "LeadingKeys, all the caller's",
        when("ForAllValues:StringEquals", "dynamodb:LeadingKeys", ["c-1"]),
        get({"dynamodb:LeadingKeys": ["c-1"]}),
        ALLOW,
    ),
    (
        "LeadingKeys, one not the caller's",
        when("ForAllValues:StringEquals", "dynamodb:LeadingKeys", ["c-1"]),
        get({"dynamodb:LeadingKeys": ["c-1", "c-2"]}),
        DENY,
    ),
    ("ForAllValues, no value: holds", when("ForAllValues:StringEquals", "dynamodb:LeadingKeys", ["c-1"]), get(), ALLOW),
    (
        "ForAnyValue, one matches",
        when("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "orderId"),
        get({"kms:EncryptionContextKeys": ["x", "orderId"]}),
        ALLOW,
    ),
    (
        "ForAnyValue, no value: fails",
        when("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "orderId"),
        get(),
        DENY,
    ),
    (
        "ForAnyValue:StringLike",
        when("ForAnyValue:StringLike", "kms:ResourceAliases", "alias/payment-*"),
        get({"kms:ResourceAliases": ["alias/payment-tokens"]}),
        ALLOW,
    ),
    # --- KMS keys
    (
        "EncryptionContext required and given",
        when("StringEquals", "kms:EncryptionContext:orderId", "o-1"),
        get({"kms:EncryptionContext:orderId": "o-1"}),
        ALLOW,
    ),
    (
        "EncryptionContext required, another order",
        when("StringEquals", "kms:EncryptionContext:orderId", "o-1"),
        get({"kms:EncryptionContext:orderId": "o-2"}),
        DENY,
    ),
    ("EncryptionContext required, none", when("StringLike", "kms:EncryptionContext:orderId", "*"), get(), DENY),
    (
        "RequestAlias",
        when("StringEquals", "kms:RequestAlias", "alias/payment-tokens"),
        get({"kms:RequestAlias": "alias/payment-tokens"}),
        ALLOW,
    ),
    ("RequestAlias, key named by ARN", when("StringEquals", "kms:RequestAlias", "alias/payment-tokens"), get(), DENY),
    # --- policy variables
    (
        "policy variable",
        when("StringEquals", "dynamodb:LeadingKeys", "${aws:PrincipalAccount}"),
        get({"dynamodb:LeadingKeys": [ACCOUNT]}),
        ALLOW,
    ),
]

# (case, identity policy, request, resource policy, AWS's decision): same account, as the stack's resources are.
BUS_POLICY = policy(
    statement(
        "Deny",
        "events:PutEvents",
        BUS,
        Principal="*",
        Sid="OnlyThePublisher",
        Condition={"ArnNotEquals": {"aws:PrincipalArn": ROLE}},
    )
)
PUT_EVENTS = policy(statement(action="events:PutEvents", resource=BUS))
KEY_POLICY = policy(
    statement(action="kms:*", resource="*", Principal={"AWS": ROOT}, Sid="Administration")
    | {"Action": ["kms:Create*", "kms:Describe*", "kms:Put*"]},
    statement(
        action="kms:Decrypt",
        resource="*",
        Principal={"AWS": ROLE},
        Condition={"StringLike": {"kms:EncryptionContext:orderId": "*"}},
    ),
    statement(
        action=["kms:GenerateDataKey*", "kms:Decrypt"],
        resource="*",
        Principal={"Service": "cloudwatch.amazonaws.com"},
        Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    ),
)
ORDER = {"kms:EncryptionContext:orderId": "o-1"}
NOTHING = policy()
RESOURCE: list[tuple[str, dict[str, Any], Request, dict[str, Any], bool]] = [
    ("bus: the publisher", PUT_EVENTS, Request("events:PutEvents", BUS, PUBLISHER), BUS_POLICY, ALLOW),
    ("bus: another role allowed by IAM", PUT_EVENTS, Request("events:PutEvents", BUS, OTHER), BUS_POLICY, DENY),
    ("bus: the publisher without IAM grant", NOTHING, Request("events:PutEvents", BUS, PUBLISHER), BUS_POLICY, DENY),
    (
        "Deny with NotPrincipal keeps its effect",
        PUT_EVENTS,
        Request("events:PutEvents", BUS, OTHER),
        policy(statement("Deny", "events:PutEvents", BUS, NotPrincipal={"AWS": ROLE})),
        DENY,
    ),
    (
        "Deny with NotPrincipal spares the one named",
        PUT_EVENTS,
        Request("events:PutEvents", BUS, PUBLISHER),
        policy(statement("Deny", "events:PutEvents", BUS, NotPrincipal={"AWS": ROLE})),
        ALLOW,
    ),
    (
        "Deny with NotAction in a resource policy",
        PUT_EVENTS,
        Request("events:PutEvents", BUS, PUBLISHER),
        policy(statement("Deny", None, BUS, Principal="*", NotAction="events:Describe*")),
        DENY,
    ),
    (
        "a resource policy naming the role allows without IAM",
        NOTHING,
        Request("events:PutEvents", BUS, PUBLISHER),
        policy(statement("Allow", "events:PutEvents", BUS, Principal={"AWS": ROLE})),
        ALLOW,
    ),
    (
        "a resource policy naming the account needs IAM too",
        NOTHING,
        Request("events:PutEvents", BUS, PUBLISHER),
        policy(statement("Allow", "events:PutEvents", BUS, Principal={"AWS": ACCOUNT})),
        DENY,
    ),
    (
        "key: the decrypting role with the context",
        NOTHING,
        Request("kms:Decrypt", KEY, PUBLISHER, ORDER),
        KEY_POLICY,
        ALLOW,
    ),
    ("key: the decrypting role without context", NOTHING, Request("kms:Decrypt", KEY, PUBLISHER), KEY_POLICY, DENY),
    (
        "key: IAM alone does not grant use when the key policy keeps use from the account",
        policy(statement(action="kms:Encrypt", resource=KEY)),
        Request("kms:Encrypt", KEY, OTHER, ORDER),
        KEY_POLICY,
        DENY,
    ),
    (
        "key: administration delegated to IAM",
        policy(statement(action="kms:DescribeKey", resource=KEY)),
        Request("kms:DescribeKey", KEY, OTHER),
        KEY_POLICY,
        ALLOW,
    ),
    ("key: administration without IAM", NOTHING, Request("kms:DescribeKey", KEY, OTHER), KEY_POLICY, DENY),
    (
        "key: CloudWatch may generate data keys",
        NOTHING,
        Request("kms:GenerateDataKey", KEY, CLOUDWATCH, {"aws:SourceAccount": ACCOUNT}),
        KEY_POLICY,
        ALLOW,
    ),
    (
        "key: CloudWatch for another account",
        NOTHING,
        Request("kms:GenerateDataKey", KEY, CLOUDWATCH, {"aws:SourceAccount": "111111111111"}),
        KEY_POLICY,
        DENY,
    ),
    (
        "key: the default key policy does not admit a service",
        NOTHING,
        Request("kms:GenerateDataKey", KEY, CLOUDWATCH),
        policy(statement(action="kms:*", resource="*", Principal={"AWS": ROOT})),
        DENY,
    ),
    (
        "queue: a service for the named source",
        NOTHING,
        Request(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:0:q",
            Principal(service="events.amazonaws.com"),
            {"aws:SourceArn": BUS},
        ),
        policy(
            statement(
                "Allow",
                "sqs:SendMessage",
                "arn:aws:sqs:us-east-1:0:q",
                Principal={"Service": "events.amazonaws.com"},
                Condition={"ArnEquals": {"aws:SourceArn": BUS}},
            )
        ),
        ALLOW,
    ),
    (
        "resource Deny with a negated operator",
        policy(statement()),
        get({"aws:SourceAccount": "111111111111"}),
        policy(statement("Deny", Principal="*", Condition={"StringNotEquals": {"aws:SourceAccount": ACCOUNT}})),
        DENY,
    ),
]


@pytest.mark.parametrize(("identity", "request_", "expected"), [c[1:] for c in IDENTITY], ids=[c[0] for c in IDENTITY])
def test_identity_policies_decide_as_aws_documents(identity: dict[str, Any], request_: Request, expected: bool) -> None:
    assert authorized([_text(identity)], request_) is expected


@pytest.mark.parametrize(
    ("identity", "request_", "resource_policy", "expected"), [c[1:] for c in RESOURCE], ids=[c[0] for c in RESOURCE]
)
def test_identity_and_resource_policies_decide_together(
    identity: dict[str, Any], request_: Request, resource_policy: dict[str, Any], expected: bool
) -> None:
    required = request_.action.startswith("kms:")  # a key policy must allow every use of its key
    assert authorized([_text(identity)], request_, resource_policy, resource_policy_required=required) is expected


def test_the_table_has_at_least_sixty_cases() -> None:
    assert len(IDENTITY) + len(RESOURCE) >= 60
    assert len({c[0] for c in IDENTITY} | {c[0] for c in RESOURCE}) == len(IDENTITY) + len(RESOURCE)


@pytest.mark.parametrize(
    ("condition", "named"),
    [
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, "aws:RequestedRegion"),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "IpAddress"),
        ({"StringEqualz": {"aws:SourceAccount": ACCOUNT}}, "StringEqualz"),
        ({"ForSomeValues:StringEquals": {"aws:SourceAccount": ACCOUNT}}, "ForSomeValues:StringEquals"),
        ({"StringEquals": {"dynamodb:LeadingKeys": "${aws:username}"}}, "aws:username"),
    ],
)
def test_an_unknown_condition_is_refused_naming_it(condition: dict[str, Any], named: str) -> None:
    allow = policy(statement(action="dynamodb:GetItem", resource=TABLE, Condition=condition))
    with pytest.raises(UnsupportedCondition, match=named.replace("$", r"\$")):
        authorized([_text(allow)], get({"aws:SourceAccount": ACCOUNT}))
    deny = policy(statement(), statement("Deny", Condition=condition))
    with pytest.raises(UnsupportedCondition, match=named.replace("$", r"\$")):
        authorized([_text(deny)], get({"aws:SourceAccount": ACCOUNT}))


def test_a_condition_of_a_statement_that_does_not_apply_is_not_judged(caplog: pytest.LogCaptureFixture) -> None:
    unrelated = statement(action="s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    caplog.set_level(logging.ERROR)
    assert authorized([_text(policy(unrelated, statement(action="dynamodb:GetItem", resource=TABLE)))], get())


def _text(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)
