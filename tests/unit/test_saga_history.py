"""The saga's history, derived from its log: the events its steps announce, the failure where the saga turned
back, the same for any log that records the same transitions (both coordinations do)."""

from checkout_saga.logic.saga_history import SagaFacts, added_events, history_of
from checkout_saga.models import OrderStatus, SagaFailure, SagaRecord, SagaState, SagaTransition
from checkout_saga.saga_definition import CHECKOUT, RETURN

# A checkout declined at ChargePayment, as either coordination tells it.
DECLINED = [
    "OrderCreated",
    "StockReserved",
    "ChargePaymentFailed",
    "PaymentRefunded",
    "StockReleased",
    "OrderCancelled",
]
FACTS = SagaFacts(order_id="o-1", customer_id="c-1", amount_cents=4999)


def record(*states: SagaState, failure: SagaFailure | None = None, failure_at: str | None = None) -> SagaRecord:
    history = [SagaTransition(state=SagaState.STARTED, at="2026-12-06T00:00:00.000Z")]
    history += [SagaTransition(state=state, at=f"2026-12-06T00:00:0{i}.000Z") for i, state in enumerate(states, 1)]
    return SagaRecord(
        saga_id="o-1",
        status=OrderStatus.PENDING,
        state=history[-1].state,
        started_at=history[0].at,
        updated_at=history[-1].at,
        customer_id="c-1",
        history=history,
        failure=failure,
        failure_at=failure_at,
    )


def test_a_confirmed_checkout_announces_each_step_with_its_service_and_facts() -> None:
    forward = [SagaState(step.records) for step in CHECKOUT.forward]
    events = history_of(record(*forward), CHECKOUT, FACTS)
    assert [event.type for event in events] == ["OrderCreated", "StockReserved", "PaymentCharged", "OrderConfirmed"]
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert [event.source for event in events] == ["Orders", "Inventory", "Payments", "Orders"]
    assert events[0].detail == {"orderId": "o-1", "customerId": "c-1", "amountCents": 4999, "state": "ORDER_CREATED"}
    assert events[0].at == "2026-12-06T00:00:01.000Z"


def test_a_failure_comes_where_the_saga_turned_back() -> None:
    declined = SagaFailure(step="ChargePayment", error="PaymentDeclined", cause="declined")
    states = [SagaState.ORDER_CREATED, SagaState.STOCK_RESERVED]
    undo = [SagaState.PAYMENT_REFUNDED, SagaState.STOCK_RELEASED, SagaState.CANCELLED]
    events = history_of(
        record(*states, *undo, failure=declined, failure_at="2026-12-06T00:00:02.500Z"), CHECKOUT, FACTS
    )
    assert [event.type for event in events] == DECLINED
    failed = events[2]
    assert (failed.at, failed.source, failed.detail["error"]) == (
        "2026-12-06T00:00:02.500Z",
        "Payments",
        "PaymentDeclined",
    )


def test_a_return_saga_has_its_own_events() -> None:
    events = history_of(record(*(SagaState(step.records) for step in RETURN.forward)), RETURN, FACTS)
    assert [event.type for event in events] == [step.announces for step in RETURN.forward]


def test_a_change_of_the_log_item_adds_only_the_new_events() -> None:
    before = record(SagaState.ORDER_CREATED)
    after = record(SagaState.ORDER_CREATED, SagaState.STOCK_RESERVED)
    assert [event.type for event in added_events(before, after, CHECKOUT, lambda: FACTS)] == ["StockReserved"]
    assert [event.type for event in added_events(None, before, CHECKOUT, lambda: FACTS)] == ["OrderCreated"]


def test_an_unchanged_history_reads_no_facts() -> None:
    def unread() -> SagaFacts:
        raise AssertionError("the facts were read for nothing")

    same = record(SagaState.ORDER_CREATED)
    assert added_events(same, same, CHECKOUT, unread) == []
