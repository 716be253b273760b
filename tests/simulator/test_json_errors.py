"""The simulator's JSON errors without XML: each is the error moto builds, attribute for attribute."""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    ResourceNotFoundException,
    TransactionCanceledException,
)

from simulator import json_errors


def _built() -> list[JsonRESTError]:
    return [
        ConditionalCheckFailed(),
        ConditionalCheckFailed(item={"pk": {"S": "P1"}}),
        MockValidationException('One or more parameter values were invalid: <&> "quoted"'),
        ResourceNotFoundException(table_name="missing"),
        TransactionCanceledException(
            [("ConditionalCheckFailed", "The conditional request failed", None), (None, None, None)]
        ),
        JsonRESTError("Some#Error", "a message"),
    ]


def _state(error: JsonRESTError) -> tuple[Any, ...]:
    return type(error), vars(error), error.get_body(), error.get_headers(), error.code, str(error)


def test_a_json_error_is_built_as_moto_builds_it_without_its_xml() -> None:
    original = JsonRESTError.__init__
    by_moto = [_state(error) for error in _built()]
    with json_errors.without_xml():
        assert JsonRESTError.__init__ is not original
        assert [_state(error) for error in _built()] == by_moto
    assert JsonRESTError.__init__ is original
