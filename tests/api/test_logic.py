"""The API's logic and data-access pieces on their own: starting a saga once, counting it once, tokens."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from checkout_saga.dal.stepfunctions_starter import StepFunctionsSagaStarter, execution_arn
from checkout_saga.logic.checkout import UnknownSkus, start_checkout
from checkout_saga.logic.page_tokens import BadPageToken, encode_token
from checkout_saga.logic.saga_listing import decode_saga_token
from checkout_saga.models import LineItem, OrderStatus, Product, SagaState
from tests.api.conftest import Cloud
from tests.unit.fakes import FakeInventory, FakeSagaLog

NOW = "2026-11-22T10:00:00.000Z"
WANTED = [LineItem(sku="KB-001", quantity=3)]


class RecordingStarter:
    def __init__(self) -> None:
        self.started: dict[str, Mapping[str, object]] = {}

    def start(self, name: str, saga_input: Mapping[str, object]) -> str:
        self.started.setdefault(name, saga_input)
        return f"arn:aws:states:us-east-1:123456789012:execution:Checkout:{name}"


@pytest.fixture
def catalog() -> FakeInventory:
    return FakeInventory([Product(sku="KB-001", name="Keyboard", unit_price_cents=4999, available=10)])


def test_start_checkout_prices_starts_and_logs(catalog: FakeInventory) -> None:
    saga_log, starter = FakeSagaLog(), RecordingStarter()

    started = start_checkout(
        "c-42", WANTED, "tok_visa", catalog, saga_log, starter, NOW, order_id_factory=lambda: "ord-1"
    )

    assert started.logged_start is True
    assert started.order_id == "ord-1"
    assert starter.started["ord-1"]["items"] == [{"sku": "KB-001", "quantity": 3, "unitPriceCents": 4999}]
    assert saga_log.states("ord-1") == ["STARTED"]
    assert saga_log.items["ord-1"].customer_id == "c-42"


def test_when_create_order_logged_the_start_first_the_api_does_not_count_it(catalog: FakeInventory) -> None:
    saga_log = FakeSagaLog()
    saga_log.record("ord-1", SagaState.STARTED, NOW, customer_id="c-42")  # CreateOrder was faster

    started = start_checkout(
        "c-42", WANTED, "tok_visa", catalog, saga_log, RecordingStarter(), NOW, order_id_factory=lambda: "ord-1"
    )

    assert started.logged_start is False
    assert saga_log.states("ord-1") == ["STARTED"]


def test_unknown_skus_start_nothing(catalog: FakeInventory) -> None:
    wanted = [LineItem(sku="X-1", quantity=1), LineItem(sku="KB-001", quantity=1)]
    saga_log, starter = FakeSagaLog(), RecordingStarter()

    with pytest.raises(UnknownSkus) as raised:
        start_checkout("c", wanted, "t", catalog, saga_log, starter, NOW)

    assert raised.value.positions == {0: "X-1"}
    assert (saga_log.items, starter.started) == ({}, {})


def test_starting_the_same_name_twice_runs_one_execution(cloud: Cloud) -> None:
    starter = StepFunctionsSagaStarter(cloud.stepfunctions, cloud.state_machine_arn)

    first = starter.start("ord-1", {"orderId": "ord-1"})
    again = starter.start("ord-1", {"orderId": "ord-1", "retried": True})  # another input: ExecutionAlreadyExists

    assert first == again == execution_arn(cloud.state_machine_arn, "ord-1")
    assert [execution["name"] for execution in cloud.executions()] == ["ord-1"]


def test_execution_arn_of_a_state_machine() -> None:
    machine = "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:Checkout"

    expected = "arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:Checkout:ord-1"
    assert execution_arn(machine, "ord-1") == expected
    # started through the alias the API uses, or a version: the execution is still the state machine's
    assert execution_arn(f"{machine}:live", "ord-1") == expected
    assert execution_arn(f"{machine}:7", "ord-1") == expected


def test_page_tokens_round_trip_and_are_url_safe() -> None:
    key = {"sagaId": "ord-1", "status": "PENDING", "startedAt": "2026-11-22T10:00:00.000Z"}

    token = encode_token(key)

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_saga_token(token, OrderStatus.PENDING) == key
    with pytest.raises(BadPageToken):
        decode_saga_token(token, OrderStatus.CONFIRMED)
