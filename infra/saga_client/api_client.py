"""A small client of the checkout HTTP API (openapi.json), as a store front end would use it."""

from __future__ import annotations

import time
from typing import Any

import requests

from saga_client.polling import pauses

TERMINAL_STATUSES = frozenset({"CONFIRMED", "CANCELLED", "COMPENSATION_FAILED"})
RETURN_FINAL_STATUSES = frozenset({"COMPLETED", "REJECTED", "CANCELLED", "COMPENSATION_FAILED"})
THROTTLED_RETRIES = 5
THROTTLED_BACKOFF_SECONDS = 0.25  # then 0.5, 1, 2, 4: a stage's bucket refills within that at any sane rate
READ_ATTEMPTS = 5  # a GET failing five times running (over 5 s) is an answer, not a passing fault
READ_BACKOFF_SECONDS = 0.5  # then 1, 1.5, 2


class ApiError(RuntimeError):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.request.method} {response.url} -> {response.status_code}: {response.text[:500]}")
        self.status_code = response.status_code
        try:
            self.message = str(response.json().get("message", response.text))
        except ValueError:
            self.message = response.text


class CheckoutApi:
    def __init__(self, api_url: str, timeout: float = 30.0, *, token: str | None = None) -> None:
        """`token`: the caller's Cognito ID token, sent raw in `Authorization` as the API's authorizer wants it."""
        self.api_url = api_url.rstrip("/")
        self._session = requests.Session()
        if token is not None:
            self._session.headers["Authorization"] = token
        self._timeout = timeout
        self.retried_reads = 0  # GETs sent again after a 5xx or a timeout

    def _call(self, method: str, path: str, expected: tuple[int, ...], **kwargs: Any) -> Any:
        """A GET (safe to send again) that meets a 5xx or a timeout is sent again, a few times, as a careful
        front end would; any other request fails at once: a POST is sent again only by a caller that knows it
        is idempotent (its Idempotency-Key)."""
        url = f"{self.api_url}{path}"
        attempts = READ_ATTEMPTS if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._send(method, url, **kwargs)
            except (requests.Timeout, requests.ConnectionError):
                if attempt == attempts:
                    raise
            else:
                if response.status_code in expected:
                    return response.json()
                if response.status_code < 500 or attempt == attempts:
                    raise ApiError(response)
            self.retried_reads += 1
            time.sleep(READ_BACKOFF_SECONDS * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        # Throttled by the stage (429): back off and try again, as the AWS SDKs do with throttling errors.
        for attempt in range(THROTTLED_RETRIES):
            if response.status_code != 429:
                break
            time.sleep(THROTTLED_BACKOFF_SECONDS * 2**attempt)
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        return response

    def put_product(self, product: dict[str, Any]) -> dict[str, Any]:
        body = {key: product[key] for key in ("name", "unitPriceCents", "available", "shards") if key in product}
        return dict(self._call("PUT", f"/products/{product['sku']}", (200,), json=body))

    def product(self, sku: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/products/{sku}", (200,)))

    def restock(self, sku: str, quantity: int) -> dict[str, Any]:
        """POST /products/{sku}/restock: the product once `quantity` units are added."""
        return dict(self._call("POST", f"/products/{sku}/restock", (200,), json={"quantity": quantity}))

    def start_return(self, order_id: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return dict(self._call("POST", f"/orders/{order_id}/returns", (200, 202), json=body, headers=headers))

    def wait_return(self, return_id: str, timeout: float = 60.0, poll: float = 0.05) -> dict[str, Any]:
        """GET /returns/{returnId} until its status is final, asking again after `poll` s, then less often
        (saga_client.polling)."""
        deadline = time.monotonic() + timeout
        waits = pauses(poll)
        while True:
            shown = dict(self._call("GET", f"/returns/{return_id}", (200,)))
            if shown["status"] in RETURN_FINAL_STATUSES:
                return shown
            if time.monotonic() > deadline:
                raise TimeoutError(f"return {return_id} still {shown['status']} after {timeout:.0f} s")
            time.sleep(next(waits))

    def resume_saga(self, order_id: str) -> dict[str, Any]:
        """POST /sagas/{orderId}/resume: {"orderId", "executionArn"}; ApiError 404/409 when refused."""
        return dict(self._call("POST", f"/sagas/{order_id}/resume", (202,)))

    def compensate_saga(self, order_id: str, reason: str = "") -> dict[str, Any]:
        """POST /sagas/{orderId}/compensate: {"orderId", "executionArn"}; ApiError 404/409 when refused."""
        return dict(self._call("POST", f"/sagas/{order_id}/compensate", (202,), json={"reason": reason}))

    def checkout(self, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return dict(self._call("POST", "/checkout", (200, 202), json=body, headers=headers))

    def order(self, order_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/orders/{order_id}", (200,)))

    def wait_until_terminal(self, order_id: str, timeout: float = 60.0, poll: float = 0.02) -> dict[str, Any]:
        """GET /orders/{orderId} until its status is terminal, asking again after `poll` s, then less often."""
        deadline = time.monotonic() + timeout
        waits = pauses(poll)
        while True:
            order = self.order(order_id)
            if order["status"] in TERMINAL_STATUSES:
                return order
            if time.monotonic() > deadline:
                raise TimeoutError(f"order {order_id} still {order['status']} after {timeout:.0f} s")
            time.sleep(next(waits))
