"""One conditional UpdateItem, the shape every table's state change shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, error_code
from checkout_saga.dal.dynamodb_values import from_wire, plain
from checkout_saga.models import OrderStatus

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import UpdateItemInputTableUpdateItemTypeDef

    from checkout_saga.dal.interfaces import ResumedMark


COUNT_MARK = "ADD compensationFailures :one"  # with ":one": 1, in a write that marks COMPENSATION_FAILED


def is_resumed_mark(resumes: ResumedMark) -> tuple[str, dict[str, Any]]:
    """The condition that an item is COMPENSATION_FAILED (`#status`), and its mark the one a resume was started for
    (`resumes`: its compensationFailures then; an item marked before marks were counted has none, which counts as
    0). A resume started by hand names none (ANY_MARK): any mark."""
    marked: dict[str, Any] = {":marked": OrderStatus.COMPENSATION_FAILED.value}  # a return's is the same word
    if not isinstance(resumes, int):
        return "#status = :marked", marked
    return (
        "(#status = :marked AND (compensationFailures = :resumes"
        " OR (attribute_not_exists(compensationFailures) AND :resumes = :none)))",
        {**marked, ":resumes": resumes, ":none": 0},
    )


@dataclass(frozen=True)
class Updated:
    """What a conditional update leaves: the item as it is now (None if there is none), and whether this update
    wrote it."""

    item: dict[str, Any] | None
    written: bool


def update_if(
    table: Table,
    key: Mapping[str, str],
    expression: str,
    condition: str,
    values: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
) -> Updated:
    """Apply `expression` if `condition` holds. Either way the answer holds the item as it is now: written, or as
    stored when the condition refused it, from the refusal itself (ReturnValuesOnConditionCheckFailure), so that a
    step that learns the outcome this way reads nothing and its role needs no GetItem. Of `names`, only those the
    expressions use are sent: DynamoDB refuses unused ones."""
    used = {name: attribute for name, attribute in (names or {}).items() if name in f"{expression} {condition}"}
    request: UpdateItemInputTableUpdateItemTypeDef = {
        "Key": key,
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if used:
        request["ExpressionAttributeNames"] = used
    try:
        result = table.update_item(**request)
    except ClientError as exc:
        if error_code(exc) != CONDITION_FAILED:
            raise
        stored = exc.response.get("Item")
        return Updated(from_wire(stored) if stored else None, written=False)
    return Updated(plain(result["Attributes"]), written=True)
