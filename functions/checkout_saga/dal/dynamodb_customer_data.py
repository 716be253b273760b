"""Where a customer's id is stored, across the tables, and its replacement by a pseudonym (logic/erasure.py;
docs/security.md, "Erasure").

The orders are found through their `byCustomer` index and the read model's items by their key; the saga logs, the
idempotency records and the outbox have no index by customer (no request of the sagas needs one), so an erasure
scans them: a rare operator's action, paid for by a full read of those tables (the last two keep a day or so of
items, the saga logs SagaRetentionDays). Every write is conditional on the item still naming the customer and,
for an order or a saga, on it not running, so an erasure never changes what a saga in flight relies on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import REFUSED, error_code
from checkout_saga.dal.dynamodb_orders import BY_CUSTOMER_INDEX
from checkout_saga.dal.dynamodb_read_model import EVENT_KEY
from checkout_saga.dal.dynamodb_values import plain
from checkout_saga.dal.interfaces import CustomerMention, CustomerStore

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import Table

CUSTOMER = "customerId"  # the attribute, and the JSON field, that names a customer everywhere
RUNNING = "PENDING"  # an order's or a saga's status while its saga runs
# Where an order or a saga log item names its customer: its own attribute, and a choreographed saga's log keeps the
# document its checkout started with (dal/outbox_starter.py).
NAMES_CUSTOMER = "customerId = :customer OR checkout.customerId = :customer"
# The routes whose idempotency records are keyed per caller: `<route>#<caller>#<hash of the key>` (powertools
# names a record `<key_prefix>#<hash>`; handlers/api_routes/checkout.py and returns.py set the prefixes).
IDEMPOTENCY_ROUTES = ("checkout", "return")
ERASURE_RECEIPT = "erasure#"  # an idempotency table item per erased customer, keyed by a digest of their id


class DynamoDBCustomerData:
    def __init__(
        self,
        orders: Table,
        saga_log: Table,
        return_saga_log: Table,
        idempotency: Table,
        customer_summaries: Table | None = None,
        outbox: Table | None = None,
    ) -> None:
        """`customer_summaries` and `outbox`: None where the stack has no read model or no choreography."""
        self._tables: dict[CustomerStore, Table] = {
            CustomerStore.ORDERS: orders,
            CustomerStore.CHECKOUT_SAGA_LOG: saga_log,
            CustomerStore.RETURN_SAGA_LOG: return_saga_log,
            CustomerStore.IDEMPOTENCY: idempotency,
        }
        if customer_summaries is not None:
            self._tables[CustomerStore.CUSTOMER_SUMMARIES] = customer_summaries
        if outbox is not None:
            self._tables[CustomerStore.OUTBOX] = outbox

    # ------------------------------------------------------------------------------------------ finding
    def mentions(self, customer_id: str) -> list[CustomerMention]:
        orders = [
            CustomerMention(CustomerStore.ORDERS, item["orderId"], item["status"])
            for item in self._query(CustomerStore.ORDERS, Key(CUSTOMER).eq(customer_id), BY_CUSTOMER_INDEX)
        ]
        sagas = [
            CustomerMention(store, item["sagaId"], item.get("status"))
            for store in (CustomerStore.CHECKOUT_SAGA_LOG, CustomerStore.RETURN_SAGA_LOG)
            for item in self._scan(store, Attr(CUSTOMER).eq(customer_id) | Attr("checkout.customerId").eq(customer_id))
        ]
        summary_items = list(self._query(CustomerStore.CUSTOMER_SUMMARIES, Key(CUSTOMER).eq(customer_id)))
        summaries = [CustomerMention(CustomerStore.CUSTOMER_SUMMARIES, item[EVENT_KEY]) for item in summary_items]
        saga_ids = {mention.key for mention in orders + sagas} | {item["sagaId"] for item in summary_items}
        records = [
            CustomerMention(CustomerStore.IDEMPOTENCY, item["id"], item.get("status"))
            for item in self._scan(CustomerStore.IDEMPOTENCY)
            if _idempotency_names(item, customer_id, saga_ids)
        ]
        events = [
            CustomerMention(CustomerStore.OUTBOX, item["eventId"])
            for item in self._scan(CustomerStore.OUTBOX, Attr("detail").contains(json.dumps(customer_id)))
            if _renamed(json.loads(item["detail"]), customer_id, "") != json.loads(item["detail"])
        ]
        return orders + sagas + summaries + records + events

    def _query(self, store: CustomerStore, condition: Any, index: str | None = None) -> Iterator[dict[str, Any]]:
        if store not in self._tables:
            return iter(())
        request: dict[str, Any] = {"KeyConditionExpression": condition}
        if index is not None:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True
        return self._pages(self._tables[store].query, request)

    def _scan(self, store: CustomerStore, condition: Any = None) -> Iterator[dict[str, Any]]:
        if store not in self._tables:
            return iter(())
        request: dict[str, Any] = {"ConsistentRead": True}
        if condition is not None:
            request["FilterExpression"] = condition
        return self._pages(self._tables[store].scan, request)

    @staticmethod
    def _pages(read: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            response = read(**request)
            yield from (plain(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------------------------------- rewriting
    def pseudonymise(self, mention: CustomerMention, customer_id: str, pseudonym: str) -> bool:
        table = self._tables[mention.store]
        try:
            if mention.store is CustomerStore.ORDERS:
                self._rename(table, {"orderId": mention.key}, customer_id, pseudonym)
            elif mention.store in (CustomerStore.CHECKOUT_SAGA_LOG, CustomerStore.RETURN_SAGA_LOG):
                self._rename(table, {"sagaId": mention.key}, customer_id, pseudonym)
            elif mention.store is CustomerStore.CUSTOMER_SUMMARIES:
                self._move(table, {CUSTOMER: customer_id, EVENT_KEY: mention.key}, customer_id, pseudonym)
            elif mention.store is CustomerStore.IDEMPOTENCY:
                self._rewrite_record(table, mention.key, customer_id, pseudonym)
            else:
                self._rewrite_event(table, mention.key, customer_id, pseudonym)
        except ClientError as exc:
            if error_code(exc) in REFUSED:
                return False
            raise
        return True

    @staticmethod
    def _rename(table: Table, key: dict[str, str], customer_id: str, pseudonym: str) -> None:
        """An order or a saga log item: every attribute that names the customer (a choreographed saga's log keeps
        its `checkout` document too), unless its saga runs. A saga log's change of customer adds no history event
        (handlers/publish_saga_history.py publishes the transitions a change adds)."""
        item = table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return
        renamed = _renamed(item, customer_id, pseudonym)
        changed = [name for name in item if renamed[name] != item[name]]
        names = {f"#changed{i}": name for i, name in enumerate(changed)}
        values = {f":changed{i}": renamed[name] for i, name in enumerate(changed)}
        table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{name} = {value}" for name, value in zip(names, values, strict=True)),
            ConditionExpression=f"({NAMES_CUSTOMER}) AND #status <> :running",
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues={**values, ":customer": customer_id, ":running": RUNNING},
        )

    @staticmethod
    def _move(table: Table, key: dict[str, str], customer_id: str, pseudonym: str) -> None:
        """A read model item is keyed by its customer: the same item under the pseudonym, and the old one gone, at
        once."""
        item = table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return
        table.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": {**item, CUSTOMER: pseudonym},
                        "ConditionExpression": f"attribute_not_exists({EVENT_KEY})",
                    }
                },
                {
                    "Delete": {
                        "TableName": table.name,
                        "Key": key,
                        "ConditionExpression": f"attribute_exists({EVENT_KEY})",
                    }
                },
            ]
        )

    def _rewrite_record(self, table: Table, record_id: str, customer_id: str, pseudonym: str) -> None:
        """An idempotency record: its answer with the pseudonym, without `validation` (a digest of a request that
        named the customer), and keyed by the pseudonym where its key named the caller."""
        item = table.get_item(Key={"id": record_id}, ConsistentRead=True).get("Item")
        if item is None:
            return
        rewritten = {name: value for name, value in item.items() if name != "validation"}
        answer = item.get("data")
        if isinstance(answer, str) and _renamed(json.loads(answer), customer_id, pseudonym) != json.loads(answer):
            rewritten["data"] = json.dumps(_renamed(json.loads(answer), customer_id, pseudonym))
        route = _route_keyed_by(record_id, customer_id)
        if route is None:
            table.put_item(Item=rewritten, ConditionExpression="attribute_exists(id)")
            return
        rewritten["id"] = record_id.replace(f"{route}#{customer_id}#", f"{route}#{pseudonym}#", 1)
        table.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": rewritten,
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                {
                    "Delete": {
                        "TableName": table.name,
                        "Key": {"id": record_id},
                        "ConditionExpression": "attribute_exists(id) AND #status <> :running",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":running": "INPROGRESS"},
                    }
                },
            ]
        )

    @staticmethod
    def _rewrite_event(table: Table, event_id: str, customer_id: str, pseudonym: str) -> None:
        """An outbox event: its detail with the pseudonym. The publisher sends new items only, so this change
        sends nothing; the item stays, as a check of a later delivery may look for it."""
        item = table.get_item(Key={"eventId": event_id}, ConsistentRead=True).get("Item")
        if item is None:
            return
        detail = json.dumps(_renamed(json.loads(str(item["detail"])), customer_id, pseudonym), separators=(",", ":"))
        table.update_item(
            Key={"eventId": event_id},
            UpdateExpression="SET detail = :detail",
            ConditionExpression="detail = :before",
            ExpressionAttributeValues={":detail": detail, ":before": item["detail"]},
        )

    # -------------------------------------------------------------------------------------- receipts
    def erased(self, customer_id: str) -> bool:
        table = self._tables[CustomerStore.IDEMPOTENCY]
        return "Item" in table.get_item(Key={"id": _receipt_id(customer_id)}, ConsistentRead=True)

    def record_erasure(self, customer_id: str, at: str) -> None:
        self._tables[CustomerStore.IDEMPOTENCY].put_item(Item={"id": _receipt_id(customer_id), "erasedAt": at})


def _receipt_id(customer_id: str) -> str:
    """A digest, not the id: it tells a second erasure of the same id from an unknown customer, and names no one
    to whoever reads the table (without guessing ids to try)."""
    return ERASURE_RECEIPT + hashlib.sha256(customer_id.encode()).hexdigest()


def _route_keyed_by(record_id: str, customer_id: str) -> str | None:
    """The route whose record key names `customer_id` as its caller (the rest of the key is a hash, no '#')."""
    for route in IDEMPOTENCY_ROUTES:
        prefix = f"{route}#{customer_id}#"
        if record_id.startswith(prefix) and "#" not in record_id[len(prefix) :]:
            return route
    return None


def _idempotency_names(item: dict[str, Any], customer_id: str, saga_ids: set[str]) -> bool:
    """A record keyed by the customer, or whose answer names the customer or one of their sagas (an operator's
    request for them: its `validation` digests a body that named them)."""
    if _route_keyed_by(str(item["id"]), customer_id) is not None:
        return True
    try:
        answer = json.loads(item.get("data") or "null")
    except (TypeError, ValueError):
        return False
    if not isinstance(answer, dict):
        return False
    named = {answer.get("orderId"), answer.get("returnId")} & saga_ids
    return bool(named) or _renamed(answer, customer_id, "") != answer


def _renamed(value: Any, customer_id: str, pseudonym: str) -> Any:
    """`value` (JSON) with every `customerId` field that holds `customer_id` set to `pseudonym`."""
    if isinstance(value, dict):
        return {
            name: pseudonym if name == CUSTOMER and item == customer_id else _renamed(item, customer_id, pseudonym)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_renamed(item, customer_id, pseudonym) for item in value]
    return value
