"""Payments table: one item per order holding the attempt counter and the single outcome of the charge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import CONDITION_FAILED, error_code
from checkout_saga.dal.dynamodb_saga_log import DynamoDBLogAppend, require_dynamodb
from checkout_saga.dal.dynamodb_transactions import Refusal, transact
from checkout_saga.dal.dynamodb_updates import update_if
from checkout_saga.dal.dynamodb_values import from_wire, plain
from checkout_saga.dal.interfaces import LogAppend
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

    def attempt(self, order_id: str) -> Payment:
        # One write either way: counted, or refused with the payment as stored (its outcome) in the answer.
        try:
            result = self._table.update_item(
                Key={"orderId": order_id},
                UpdateExpression="ADD attempts :one",
                ConditionExpression="attribute_not_exists(#status)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":one": 1},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return Payment.model_validate(plain(result["Attributes"]))
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            stored = exc.response.get("Item")
        if not stored:  # the condition can only fail on a stored payment
            raise RuntimeError(f"the payment of order {order_id} refused an attempt but is not stored")
        return Payment.model_validate(from_wire(stored))

    def settle(
        self,
        order_id: str,
        status: PaymentStatus,
        amount_cents: int,
        decline_reason: str | None,
        log: LogAppend | None = None,
    ) -> Payment:
        # The first outcome wins: a capture can never overwrite a void, a decline or an earlier capture.
        expression = "SET #status = :status, amountCents = :amount"
        values: dict[str, Any] = {":status": status.value, ":amount": amount_cents}
        if decline_reason is not None:
            expression += ", declineReason = :reason"
            values[":reason"] = decline_reason
        condition = "attribute_not_exists(#status)"
        append = require_dynamodb(log)
        if append is None:
            return self._conditional_update(order_id, expression, condition, values)
        refusal = self._with_log(order_id, expression, condition, values, append)
        if refusal is None:
            return Payment(order_id=order_id, status=status, amount_cents=amount_cents, decline_reason=decline_reason)
        stored = refusal.stored(0)
        if stored is None:  # only the log refused (it has the transition): settle alone
            return self.settle(order_id, status, amount_cents, decline_reason)
        return Payment.model_validate(stored)

    def refund(self, order_id: str, log: LogAppend | None = None) -> Payment:
        # Read, then write on the condition that what was read still holds. A charge still in flight (a step
        # delivered twice) can settle between the two: then the write is refused; read again and decide again.
        append = require_dynamodb(log)
        for _ in range(3):
            current = self.get(order_id) or Payment(order_id=order_id)
            if current.status is None:
                to, condition = PaymentStatus.VOIDED, "attribute_not_exists(#status)"
            elif current.status is PaymentStatus.CAPTURED:
                to, condition = PaymentStatus.REFUNDED, "#status = :captured"
            else:
                return current  # REFUNDED, VOIDED or DECLINED: nothing (more) to give back
            values = {":status": to.value, **({":captured": "CAPTURED"} if ":captured" in condition else {})}
            if append is None:
                if self._try_update(order_id, "SET #status = :status", condition, values) is not None:
                    return current.model_copy(update={"status": to})
                continue
            refusal = self._with_log(order_id, "SET #status = :status", condition, values, append)
            if refusal is None:
                return current.model_copy(update={"status": to})
            if not refusal.refused(0):
                append = None  # only the log refused (it has the transition): refund alone
        raise RuntimeError(f"could not refund the payment of order {order_id}: it keeps changing")

    def _with_log(
        self, order_id: str, expression: str, condition: str, values: dict[str, Any], append: DynamoDBLogAppend
    ) -> Refusal | None:
        """One conditional update of the payment and the saga log's append, in one transaction."""
        update = {
            "TableName": self._table.name,
            "Key": {"orderId": order_id},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
        refusal = transact(self._table.meta.client, [{"Update": update}, *append.transact_items()])
        append.settle(refusal, 1)
        return refusal

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
        """The payment as it is afterwards: updated, or as stored when the condition refused (from the refusal)."""
        item = update_if(self._table, {"orderId": order_id}, expression, condition, values, {"#status": "status"}).item
        if item is None:  # the conditions here can only fail on a stored payment
            raise RuntimeError(f"the payment of order {order_id} refused an update but is not stored")
        return Payment.model_validate(item)

    def _try_update(self, order_id: str, expression: str, condition: str, values: dict[str, Any]) -> Payment | None:
        """One conditional update; the payment as it is afterwards, None if the condition refused it."""
        updated = update_if(self._table, {"orderId": order_id}, expression, condition, values, {"#status": "status"})
        return Payment.model_validate(updated.item) if updated.written else None
