"""Reads everything a checker needs from a deployed stack's tables (full scans: a checker, not a hot path)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boto3

from checkout_saga.dal.dynamodb_values import plain
from saga_client.invariants import OrderFacts


def _scan(table: Any) -> Iterable[dict[str, Any]]:
    kwargs: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        yield from (plain(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class StoredData:
    def __init__(self, outputs: dict[str, str], endpoint_url: str | None) -> None:
        dynamodb = boto3.resource("dynamodb", endpoint_url=endpoint_url, region_name="us-east-1")
        self._orders = dynamodb.Table(outputs["OrdersTableName"])
        self._inventory = dynamodb.Table(outputs["InventoryTableName"])
        self._payments = dynamodb.Table(outputs["PaymentsTableName"])
        self._saga_log = dynamodb.Table(outputs["SagaLogTableName"])

    def available(self) -> dict[str, int]:
        return {
            item["sku"]: item["available"] for item in _scan(self._inventory) if str(item["pk"]).startswith("PRODUCT#")
        }

    def order_facts(self, order_ids: Iterable[str]) -> list[OrderFacts]:
        wanted = set(order_ids)
        orders = {item["orderId"]: item for item in _scan(self._orders) if item["orderId"] in wanted}
        payments = {item["orderId"]: item for item in _scan(self._payments) if item["orderId"] in wanted}
        sagas = {item["sagaId"]: item for item in _scan(self._saga_log) if item["sagaId"] in wanted}
        reservations = {
            str(item["pk"]).removeprefix("RESERVATION#"): item
            for item in _scan(self._inventory)
            if str(item["pk"]).removeprefix("RESERVATION#") in wanted
        }
        facts = []
        for order_id in sorted(wanted):
            order = orders.get(order_id, {})
            payment = payments.get(order_id, {})
            reservation = reservations.get(order_id, {})
            facts.append(
                OrderFacts(
                    order_id=order_id,
                    status=order.get("status") or sagas.get(order_id, {}).get("status", "MISSING"),
                    total_cents=order.get("totalCents", 0),
                    items={
                        item["sku"]: item["quantity"] for item in reservation.get("items") or order.get("items", [])
                    },
                    payment_status=payment.get("status"),
                    payment_cents=payment.get("amountCents", 0),
                    reservation_status=reservation.get("status"),
                    history=[entry["state"] for entry in sagas.get(order_id, {}).get("history", [])],
                )
            )
        return facts
