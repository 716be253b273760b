"""The API client backs off and retries when the stage throttles it (429), and gives up after a few tries; a GET
(safe to send again) is also sent again after a 5xx or a timeout, a POST never is."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from saga_client import api_client
from saga_client.api_client import ApiError, CheckoutApi


class _Answers:
    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses)
        self.calls = 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls += 1
        status = self.statuses.pop(0)
        if isinstance(status, Exception):
            raise status
        response = requests.Response()
        response.status_code = status
        response._content = b'{"message": "Too Many Requests"}' if response.status_code == 429 else b'{"sku": "A"}'
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)


def test_a_throttled_call_is_retried_until_it_passes() -> None:
    api = CheckoutApi("http://api")
    api._session = _Answers(429, 429, 200)  # type: ignore[assignment]
    assert api.product("A") == {"sku": "A"}
    assert api._session.calls == 3  # type: ignore[attr-defined]


def test_a_call_throttled_every_time_fails_with_the_429() -> None:
    api = CheckoutApi("http://api")
    api._session = _Answers(*[429] * (api_client.THROTTLED_RETRIES + 1))  # type: ignore[assignment]
    with pytest.raises(ApiError) as failed:
        api.product("A")
    assert failed.value.status_code == 429


def test_a_get_that_meets_a_5xx_or_a_timeout_is_sent_again_and_counted() -> None:
    api = CheckoutApi("http://api")
    api._session = _Answers(502, requests.Timeout("read timed out"), 200)  # type: ignore[assignment]
    assert api.product("A") == {"sku": "A"}
    assert (api._session.calls, api.retried_reads) == (3, 2)  # type: ignore[attr-defined]


def test_a_get_failing_every_time_fails_with_its_last_5xx() -> None:
    api = CheckoutApi("http://api")
    api._session = _Answers(*[502] * api_client.READ_ATTEMPTS)  # type: ignore[assignment]
    with pytest.raises(ApiError) as failed:
        api.product("A")
    assert failed.value.status_code == 502
    assert api._session.calls == api_client.READ_ATTEMPTS  # type: ignore[attr-defined]


def test_a_get_answered_with_a_4xx_is_not_sent_again() -> None:
    api = CheckoutApi("http://api")
    api._session = _Answers(404, 200)  # type: ignore[assignment]
    with pytest.raises(ApiError) as failed:
        api.product("A")
    assert (failed.value.status_code, api._session.calls, api.retried_reads) == (404, 1, 0)  # type: ignore[attr-defined]


def test_a_post_that_meets_a_5xx_is_not_sent_again_by_the_client() -> None:
    """Only a caller holding an Idempotency-Key knows a POST is safe to send again (the chaos driver does)."""
    api = CheckoutApi("http://api")
    api._session = _Answers(502, 200)  # type: ignore[assignment]
    with pytest.raises(ApiError) as failed:
        api.restock("A", 1)
    assert (failed.value.status_code, api._session.calls) == (502, 1)  # type: ignore[attr-defined]
