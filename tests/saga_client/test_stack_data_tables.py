"""StackData builds each table's boto3 resource once per thread, and a renamed output names its new table."""

from __future__ import annotations

import threading
from typing import Any

from saga_client.stack_data import StackData


def test_a_table_is_built_once_per_thread_and_follows_its_output() -> None:
    stack = StackData({"OrdersTableName": "orders-1", "InventoryTableName": "inventory-1"})
    first = stack._table("OrdersTableName")
    assert stack._table("OrdersTableName") is first
    assert first.name == "orders-1"
    assert stack._table("InventoryTableName").name == "inventory-1"
    assert stack.orders._table is first  # the repositories read through it

    elsewhere: list[Any] = []
    thread = threading.Thread(target=lambda: elsewhere.append(stack._table("OrdersTableName")))
    thread.start()
    thread.join()
    assert elsewhere[0] is not first  # boto3 resources are not shared between threads
    assert elsewhere[0].name == "orders-1"

    stack.outputs["OrdersTableName"] = "orders-2"
    assert stack._table("OrdersTableName").name == "orders-2"
