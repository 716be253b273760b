"""A deployed stack seen from outside: its outputs, clients on its endpoint (``aws_session``; None: in-process
moto or AWS), the project's own repositories over its tables, its fault plan, and its executions (start, wait, read).
Shared by the chaos suite, the resume command and the tests (tests/support/stack.py builds on it)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.config import Config

from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory, product_key, shard_key
from checkout_saga.dal.dynamodb_order_records import DynamoDBOrderRecords
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.dal.dynamodb_read_model import DynamoDBReadModel
from checkout_saga.dal.dynamodb_returns import DynamoDBReturns
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.kms_token_vault import KmsTokenVault
from saga_client.aws_session import aws_session
from saga_client.polling import pauses

CHECKOUT, RETURN = "CheckoutStateMachineArn", "ReturnStateMachineArn"  # the outputs naming the state machines
EXECUTION_DONE = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# Shared by the chaos suite's threads: enough connections for all of them; patient retries on a busy cloud.
_CLIENT_CONFIG = Config(max_pool_connections=64, retries={"max_attempts": 8, "mode": "standard"}, read_timeout=120)


@dataclass
class StackData:
    outputs: dict[str, str]
    endpoint_url: str | None = None
    region: str = "us-east-1"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def client(self, service: str) -> Any:
        # A boto3 client is thread-safe once built, but building one from the shared default session is not.
        with self._lock:
            if service not in self._clients:
                self._clients[service] = aws_session(self.endpoint_url, self.region).client(
                    service, config=_CLIENT_CONFIG
                )
            return self._clients[service]

    def _dynamodb(self) -> Any:
        """boto3 resources are not thread-safe: one per thread (the chaos suite reads from a thread pool)."""
        if not hasattr(self._local, "dynamodb"):
            with self._lock:
                session = aws_session(self.endpoint_url, self.region)
                self._local.dynamodb = session.resource("dynamodb", config=_CLIENT_CONFIG)
        return self._local.dynamodb

    def _table(self, output: str) -> Any:
        """One per table and thread, like the resource it comes from: building a Table builds its class from the
        resource model, which cost more than the read it served (the simulator's checker reads after every saga)."""
        name = self.outputs[output]
        if not hasattr(self._local, "tables"):
            self._local.tables = {}
        if name not in self._local.tables:
            self._local.tables[name] = self._dynamodb().Table(name)
        return self._local.tables[name]

    @property
    def orders(self) -> DynamoDBOrders:
        return DynamoDBOrders(self._table("OrdersTableName"))

    @property
    def inventory(self) -> DynamoDBInventory:
        return DynamoDBInventory(self._table("InventoryTableName"))

    @property
    def payments(self) -> DynamoDBPayments:
        return DynamoDBPayments(self._table("PaymentsTableName"))

    @property
    def saga_log(self) -> DynamoDBSagaLog:
        return DynamoDBSagaLog(self._table("SagaLogTableName"))

    @property
    def outbox(self) -> DynamoDBOutbox:
        return DynamoDBOutbox(self._table("OutboxTableName"))

    @property
    def returns(self) -> DynamoDBReturns:
        return DynamoDBReturns(self._table("ReturnsTableName"), self.outputs["OrdersTableName"])

    @property
    def return_saga_log(self) -> DynamoDBSagaLog:
        return DynamoDBSagaLog(self._table("ReturnSagaLogTableName"))

    @property
    def read_model(self) -> DynamoDBReadModel:
        """The customers' read model (docs/events.md)."""
        return DynamoDBReadModel(self._table("CustomerSummariesTableName"))

    @property
    def order_records(self) -> DynamoDBOrderRecords:
        """An order, its payment and its saga log in one read (what GET /orders/{id} uses)."""
        return DynamoDBOrderRecords(
            self._dynamodb(),
            self.outputs["OrdersTableName"],
            self.outputs["PaymentsTableName"],
            self.outputs["SagaLogTableName"],
        )

    # ------------------------------------------------------------------ data
    def set_faults(self, plan: dict[str, Any]) -> None:
        """Write the fault plan (docs/operations.md); handlers see it within `fault_plan_delay` seconds."""
        self.client("ssm").put_parameter(
            Name=self.outputs["FaultsParameterName"], Value=json.dumps(plan), Type="String", Overwrite=True
        )

    @property
    def fault_plan_delay(self) -> float:
        """Seconds after which every step sees a plan just written: the steps keep what they read for the stack's
        FaultPlanMaxAgeSeconds (2 by default, 0 in the tests' stacks: no wait), plus a margin when they keep it."""
        max_age = float(self.outputs.get("FaultPlanMaxAgeSeconds", "2"))
        return max_age + 0.2 if max_age else 0.0

    def raw_available(self, skus: list[str]) -> dict[str, int]:
        """`available` as stored, summed over each product's stock shards, without the Product model's `>= 0`
        check, so a negative value is seen, not raised (a shard below zero is reported as such, not hidden in the
        sum). Unknown skus are left out."""
        products = self._raw_items([product_key(sku) for sku in skus], "sku, available, shardItems")
        extra = [
            shard_key(str(item["sku"]["S"]), shard)
            for item in products
            for shard in range(1, int(item.get("shardItems", {}).get("N", "1")))
        ]
        shards: dict[str, list[int]] = {}
        for item in [*products, *self._raw_items(extra, "sku, available")]:
            shards.setdefault(item["sku"]["S"], []).append(int(Decimal(item["available"]["N"])))
        return {sku: min(units) if min(units) < 0 else sum(units) for sku, units in shards.items()}

    def _raw_items(self, keys: list[str], projection: str) -> list[dict[str, Any]]:
        table = self.outputs["InventoryTableName"]
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                table: {
                    "Keys": [{"pk": {"S": key}} for key in keys[start : start + 100]],
                    "ConsistentRead": True,
                    "ProjectionExpression": projection,
                }
            }
            while request:
                response = self.client("dynamodb").batch_get_item(RequestItems=request)
                found.extend(response["Responses"].get(table, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    # ------------------------------------------------------------ executions
    def execution_arn(self, name: str, machine: str = CHECKOUT) -> str:
        """The ARN of the execution called `name` (the API names it after the order, or the return)."""
        return self.outputs[machine].replace(":stateMachine:", ":execution:") + f":{name}"

    def sealed_payment_token(self, order_id: str, token: str) -> str:
        """The token sealed as the API seals it (the stack's KMS key, for this order only): a saga started directly
        with `sealedPaymentToken` keeps the token out of its execution history too."""
        kms = self.client("kms")
        vault = KmsTokenVault(kms, self.outputs["PaymentTokenKeyArn"])
        return vault.seal(order_id, token)

    def start(self, document: dict[str, Any], name: str | None = None, machine: str = CHECKOUT) -> str:
        """Start a state machine directly (as `awslocal stepfunctions start-execution` does); `machine` is the
        output naming it: CHECKOUT or RETURN."""
        kwargs = {"name": name} if name else {}
        return str(
            self.client("stepfunctions").start_execution(
                stateMachineArn=self.outputs[machine], input=json.dumps(document), **kwargs
            )["executionArn"]
        )

    def wait(self, execution_arn: str, timeout: float = 60.0, interval: float = 0.05) -> dict[str, Any]:
        """describe_execution once the execution has ended (asked again after `interval` s, then less often);
        TimeoutError if it is still running at `timeout`."""
        deadline = time.monotonic() + timeout
        waits = pauses(interval)
        while True:
            described: dict[str, Any] = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
            if described["status"] in EXECUTION_DONE:
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout:.0f} s")
            time.sleep(next(waits))

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.client("stepfunctions").get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def execution_status(self, execution_arn: str) -> str:
        return str(self.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"])
