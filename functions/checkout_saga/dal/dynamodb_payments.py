"""Payments table: one item per order holding the attempt counter and the single outcome of the charge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkout_saga.dal.dynamodb_updates import update_if
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.errors import RefundRefused
from checkout_saga.models import Payment, PaymentStatus

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table


class DynamoDBPayments:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, order_id: str) -> Payment | None:
        item = self._table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return Payment.model_validate(plain(item)) if item else None

    def count_attempt(self, order_id: str) -> int:
        result = self._table.update_item(
            Key={"orderId": order_id},
            UpdateExpression="ADD attempts :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return int(plain(result["Attributes"])["attempts"])

    def settle(self, order_id: str, status: PaymentStatus, amount_cents: int, decline_reason: str | None) -> Payment:
        # The first outcome wins: a capture can never overwrite a void, a decline or an earlier capture.
        expression = "SET #status = :status, amountCents = :amount"
        values: dict[str, Any] = {":status": status.value, ":amount": amount_cents}
        if decline_reason is not None:
            expression += ", declineReason = :reason"
            values[":reason"] = decline_reason
        return self._conditional_update(order_id, expression, "attribute_not_exists(#status)", values)

    def refund(self, order_id: str) -> Payment:
        # Read, then write on the condition that what was read still holds. A charge still in flight (a step
        # delivered twice) can settle between the two: then the write is refused; read again and decide again.
        for _ in range(3):
            current = self.get(order_id)
            if current is None or current.status is None:
                voided = self._conditional_update(
                    order_id, "SET #status = :status", "attribute_not_exists(#status)", {":status": "VOIDED"}
                )
                if voided.status is PaymentStatus.VOIDED:
                    return voided
            elif current.status is PaymentStatus.CAPTURED:
                refunded = self._conditional_update(
                    order_id,
                    "SET #status = :status",
                    "#status = :captured",
                    {":status": "REFUNDED", ":captured": "CAPTURED"},
                )
                if refunded.status is PaymentStatus.REFUNDED:
                    return refunded
            else:
                return current  # REFUNDED, VOIDED or DECLINED: nothing (more) to give back
        raise RuntimeError(f"could not refund the payment of order {order_id}: it keeps changing")

    # ------------------------------------------------------------- returns
    def refund_return(self, order_id: str, return_id: str, cents: int) -> Payment:
        """Give `cents` back for one return, once: the refund is recorded in the set `refundedReturns` by the
        same conditional write that adds to `refundedCents`, which can never exceed the capture."""
        for _ in range(3):
            current = self.get(order_id)
            if current is None or current.status is not PaymentStatus.CAPTURED:
                raise RefundRefused(f"the payment of order {order_id} is not captured: nothing to refund")
            if return_id in current.refunded_returns or return_id in current.voided_returns:
                return current  # applied already, or voided before it could apply (the logic tells which)
            if current.refunded_cents + cents > current.amount_cents:
                raise RefundRefused(
                    f"refunding {cents} cents would exceed the capture of order {order_id} "
                    f"({current.refunded_cents} of {current.amount_cents} cents refunded already)"
                )
            refunded = self._try_update(
                order_id,
                "SET refundedCents = if_not_exists(refundedCents, :zero) + :cents ADD refundedReturns :ids",
                "#status = :captured AND amountCents >= :most "
                "AND (attribute_not_exists(refundedCents) OR refundedCents = :before) "
                "AND NOT contains(refundedReturns, :id) AND NOT contains(voidedReturns, :id)",
                {
                    ":zero": 0,
                    ":cents": cents,
                    ":ids": {return_id},
                    ":id": return_id,
                    ":captured": PaymentStatus.CAPTURED.value,
                    ":most": current.refunded_cents + cents,
                    ":before": current.refunded_cents,
                },
            )
            if refunded is not None:
                return refunded
        raise RuntimeError(f"could not refund return {return_id} of order {order_id}: the payment keeps changing")

    def void_return_refund(self, order_id: str, return_id: str, cents: int) -> Payment:
        """Undo `refund_return`, or, if it has not applied, record the void so that it never can."""
        for _ in range(3):
            current = self.get(order_id)
            if current is not None and return_id in current.voided_returns:
                return current
            applied = current is not None and return_id in current.refunded_returns
            expression = "ADD voidedReturns :ids"
            condition = "NOT contains(refundedReturns, :id)"
            values: dict[str, Any] = {":ids": {return_id}, ":id": return_id}
            if applied:
                expression = (
                    "SET refundedCents = refundedCents - :cents ADD voidedReturns :ids DELETE refundedReturns :ids"
                )
                condition = "contains(refundedReturns, :id)"
                values[":cents"] = cents
            voided = self._try_update(order_id, expression, condition, values)
            if voided is not None:
                return voided
        raise RuntimeError(f"could not void the refund of return {return_id}: the payment keeps changing")

    def _conditional_update(self, order_id: str, expression: str, condition: str, values: dict[str, Any]) -> Payment:
        updated = self._try_update(order_id, expression, condition, values)
        if updated is not None:
            return updated
        stored = self.get(order_id)
        assert stored is not None  # the condition failed, so the item exists
        return stored

    def _try_update(self, order_id: str, expression: str, condition: str, values: dict[str, Any]) -> Payment | None:
        """One conditional update; the payment as it is afterwards, None if the condition refused it."""
        updated = update_if(self._table, {"orderId": order_id}, expression, condition, values, {"#status": "status"})
        return Payment.model_validate(updated) if updated is not None else None
