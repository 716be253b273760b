"""POST /customers/{customerId}/erase: the customer's id replaced by a pseudonym wherever it is stored
(docs/security.md, "Erasure"). Only the id changes: amounts, statuses, stock and payments stay as they are, so
every balance still holds.

One pseudonym per erasure, the same in every item, so that the customer's orders, sagas and summaries still
belong together, to no one named. It is random and kept nowhere else: nothing leads back from it to the id.

Refused while one of the customer's sagas runs (its steps read the order and the saga log it would change). The
storage refuses too, item by item (dal: every write is conditional), so a saga started meanwhile keeps its id;
the erasure then looks again and says so. A second erasure of the same customer finds nothing left, and answers
as the first did: a receipt, kept under a digest of the id, tells it from a customer never seen."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from checkout_saga.dal.interfaces import CustomerData, CustomerMention
from checkout_saga.models import OrderStatus, ReturnStatus

PSEUDONYM_PREFIX = "erased-"
# What an item records while its saga runs: an order's or a saga's PENDING, an idempotency record's INPROGRESS
# (its checkout or return is being started).
RUNNING = frozenset({OrderStatus.PENDING.value, ReturnStatus.PENDING.value, "INPROGRESS"})
ROUNDS = 3  # looks for what is left after a round (an event projected meanwhile), then gives up: 409


class UnknownCustomer(LookupError):
    """Nothing is stored under the id, and no erasure of it was recorded (the API answers 404)."""


class CustomerBusy(RuntimeError):
    """A saga of the customer runs, or started during the erasure (the API answers 409)."""


@dataclass(frozen=True)
class Erasure:
    customer_id: str
    pseudonymised: int  # items changed by this call: 0 when an earlier erasure had done it all


def new_pseudonym() -> str:
    return PSEUDONYM_PREFIX + secrets.token_hex(12)


def erase_customer(
    customer_id: str, data: CustomerData, at: str, pseudonym_of: Callable[[], str] = new_pseudonym
) -> Erasure:
    mentions = data.mentions(customer_id)
    _refuse_running(customer_id, mentions)
    if not mentions:
        if data.erased(customer_id):
            return Erasure(customer_id, 0)
        raise UnknownCustomer(f"no customer {customer_id}: nothing is stored under this id")
    pseudonym, changed = pseudonym_of(), 0
    for _ in range(ROUNDS):
        changed += sum(data.pseudonymise(mention, customer_id, pseudonym) for mention in mentions)
        mentions = data.mentions(customer_id)
        _refuse_running(customer_id, mentions)
        if not mentions:
            data.record_erasure(customer_id, at)
            return Erasure(customer_id, changed)
    raise CustomerBusy(f"customer {customer_id} was still being written to; erase again")


def _refuse_running(customer_id: str, mentions: Sequence[CustomerMention]) -> None:
    running = sorted({mention.key for mention in mentions if mention.status in RUNNING})
    if running:
        raise CustomerBusy(
            f"customer {customer_id} has sagas running ({', '.join(running)}); erase them once they have ended"
        )
