"""GET /customers/{customerId}/orders: the customer's orders, newest first, a page at a time, from the orders'
byCustomer index (its cost does not depend on how many orders are stored)."""

from __future__ import annotations

from pydantic import ConfigDict

from checkout_saga.dal.interfaces import OrdersRepository
from checkout_saga.logic.page_tokens import BadPageToken, Page, decode_token, encode_token
from checkout_saga.logic.saga_listing import Timestamp
from checkout_saga.models import CamelModel, CustomerId, Order, OrderId


class _CustomerPageKey(CamelModel):
    model_config = ConfigDict(extra="forbid", alias_generator=None)

    orderId: OrderId
    customerId: CustomerId
    createdAt: Timestamp


def list_customer_orders(customer_id: str, limit: int, token: str | None, orders: OrdersRepository) -> Page[Order]:
    start = None
    if token:
        key = decode_token(token, _CustomerPageKey)
        if key.customerId != customer_id:
            raise BadPageToken("the token continues another customer's listing")
        start = key.model_dump()
    found, last_key = orders.list_by_customer(customer_id, limit, start)
    return Page(found, encode_token(last_key) if last_key else None)
