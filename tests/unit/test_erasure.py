"""logic/erasure.py over an in-memory store: one pseudonym for all, refused while a saga runs, a second call
answers as the first, a customer never seen is unknown, a saga started meanwhile stops it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from checkout_saga.dal.interfaces import CustomerMention, CustomerStore
from checkout_saga.logic.erasure import (
    PSEUDONYM_PREFIX,
    CustomerBusy,
    Erasure,
    UnknownCustomer,
    erase_customer,
    new_pseudonym,
)

AT = "2026-11-22T10:00:00.000Z"


@dataclass
class Item:
    store: CustomerStore
    customer_id: str
    status: str | None = None


@dataclass
class FakeCustomerData:
    items: dict[str, Item] = field(default_factory=dict)
    receipts: set[str] = field(default_factory=set)
    started_meanwhile: list[tuple[str, Item]] = field(default_factory=list)  # written at the first rewrite

    def mentions(self, customer_id: str) -> list[CustomerMention]:
        return [
            CustomerMention(item.store, key, item.status)
            for key, item in self.items.items()
            if item.customer_id == customer_id
        ]

    def pseudonymise(self, mention: CustomerMention, customer_id: str, pseudonym: str) -> bool:
        while self.started_meanwhile:
            key, item = self.started_meanwhile.pop()
            self.items[key] = item
        item = self.items[mention.key]
        if item.customer_id != customer_id or item.status == "PENDING":
            return False
        item.customer_id = pseudonym
        return True

    def erased(self, customer_id: str) -> bool:
        return customer_id in self.receipts

    def record_erasure(self, customer_id: str, at: str) -> None:
        self.receipts.add(customer_id)


def data_of(customer_id: str, *statuses: str | None) -> FakeCustomerData:
    return FakeCustomerData(
        {f"ord-{i}": Item(CustomerStore.ORDERS, customer_id, status) for i, status in enumerate(statuses)}
        | {"sum-0": Item(CustomerStore.CUSTOMER_SUMMARIES, customer_id)}
        | {"other": Item(CustomerStore.ORDERS, "c-7", "PENDING")}
    )


def test_every_item_gets_the_same_pseudonym_and_others_are_left_alone() -> None:
    data = data_of("c-42", "CONFIRMED", "CANCELLED", "COMPENSATION_FAILED")

    erasure = erase_customer("c-42", data, AT, pseudonym_of=lambda: "erased-p")

    assert erasure == Erasure("c-42", 4)
    assert {key: item.customer_id for key, item in data.items.items()} == {
        "ord-0": "erased-p",
        "ord-1": "erased-p",
        "ord-2": "erased-p",
        "sum-0": "erased-p",
        "other": "c-7",
    }
    assert data.receipts == {"c-42"}


def test_a_second_erasure_answers_the_same_and_changes_nothing() -> None:
    data = data_of("c-42", "CONFIRMED")
    erase_customer("c-42", data, AT, pseudonym_of=lambda: "erased-p")

    again = erase_customer("c-42", data, AT, pseudonym_of=lambda: "erased-q")

    assert again == Erasure("c-42", 0)
    assert data.items["ord-0"].customer_id == "erased-p"


@pytest.mark.parametrize("running", ["PENDING", "INPROGRESS"])
def test_a_running_saga_refuses_it_before_anything_is_written(running: str) -> None:
    data = data_of("c-42", "CONFIRMED", running)

    with pytest.raises(CustomerBusy, match="ord-1"):
        erase_customer("c-42", data, AT)

    assert {item.customer_id for item in data.items.values()} == {"c-42", "c-7"}
    assert not data.receipts


def test_a_saga_started_during_the_erasure_stops_it_without_a_receipt() -> None:
    data = data_of("c-42", "CONFIRMED")
    data.started_meanwhile.append(("ord-new", Item(CustomerStore.ORDERS, "c-42", "PENDING")))

    with pytest.raises(CustomerBusy, match="ord-new"):
        erase_customer("c-42", data, AT)

    assert data.items["ord-new"].customer_id == "c-42"  # the running saga keeps its customer
    assert not data.receipts  # erase again once it has ended


def test_a_customer_never_seen_is_unknown() -> None:
    with pytest.raises(UnknownCustomer, match="no customer nobody"):
        erase_customer("nobody", data_of("c-42", "CONFIRMED"), AT)


def test_pseudonyms_are_new_each_time_and_fit_a_customer_id() -> None:
    first, second = new_pseudonym(), new_pseudonym()
    assert first != second
    assert first.startswith(PSEUDONYM_PREFIX)
    assert len(first) <= 64
