"""One TransactWriteItems for a step's effect and its saga-log append, and what a refusal says about each item.

Every item asks for its stored version when its condition fails (ReturnValuesOnConditionCheckFailure=ALL_OLD),
so a refused step learns why from the refusal itself, without reading again."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import TRANSACTION_CANCELED, error_code
from checkout_saga.dal.dynamodb_values import from_wire
from checkout_saga.errors import TransientStepError


@dataclass(frozen=True)
class Refusal:
    """Why a transaction was cancelled: one reason per item, in the order of the items."""

    reasons: list[dict[str, Any]]

    def refused(self, index: int) -> bool:
        """Whether item `index`'s condition failed."""
        return bool(self.reasons[index].get("Code") == "ConditionalCheckFailed")

    def stored(self, index: int) -> dict[str, Any] | None:
        """Item `index` as stored when its condition failed (None if it did not exist, or did not fail)."""
        raw = self.reasons[index].get("Item") if index < len(self.reasons) else None
        if not raw:
            return None
        return from_wire(raw)


def transact(client: Any, items: Sequence[Any]) -> Refusal | None:
    """Write `items` all or nothing; None if written, the Refusal if a condition failed (nothing written).
    A conflict with a concurrent transaction on the same item is transient: the state machine retries it."""
    for item in items:
        for operation in item.values():
            if "ConditionExpression" in operation:
                operation["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    try:
        client.transact_write_items(TransactItems=items)
        return None
    except ClientError as exc:
        if error_code(exc) != TRANSACTION_CANCELED:
            raise
        reasons = list(exc.response.get("CancellationReasons") or [])
        codes = {reason.get("Code") for reason in reasons} - {"None", "ConditionalCheckFailed", None}
        if codes or not reasons:
            raise TransientStepError(f"transaction cancelled: {', '.join(sorted(map(str, codes))) or exc}") from exc
        return Refusal(reasons)
