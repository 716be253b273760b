"""The API client backs off and retries when the stage throttles it (429), and gives up after a few tries."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from saga_client import api_client
from saga_client.api_client import ApiError, CheckoutApi


class _Answers:
    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.calls = 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls += 1
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
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
