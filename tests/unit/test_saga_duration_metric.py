"""SagaDuration: one embedded-metric datum per saga outcome, in milliseconds since the saga's first transition."""

import json
from typing import Any

import pytest

from checkout_saga.handlers.saga_duration import SAGA_DURATION, elapsed_ms, record_saga_duration
from checkout_saga.models import OrderStatus, SagaState
from tests.unit.fakes import FakeSagaLog


def emf_documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_elapsed_ms_between_two_log_timestamps() -> None:
    assert elapsed_ms("2026-11-22T10:00:00.000Z", "2026-11-22T10:00:01.250Z") == 1250.0


def test_the_duration_is_emitted_with_its_outcome_as_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a saga that started 840 ms before it was cancelled
    saga_log = FakeSagaLog()
    saga_log.record("o-1", SagaState.STARTED, "2026-11-22T10:00:00.000Z")

    # When its outcome is recorded
    record_saga_duration("o-1", OrderStatus.CANCELLED, saga_log, "2026-11-22T10:00:00.840Z")

    # Then one EMF document carries SagaDuration = 840 ms for outcome CANCELLED in the template's namespace
    [document] = emf_documents(capsys.readouterr().out)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "CheckoutSaga"
    assert directive["Metrics"] == [{"Name": SAGA_DURATION, "Unit": "Milliseconds"}]
    assert "outcome" in directive["Dimensions"][0]
    assert document["outcome"] == "CANCELLED"
    assert document[SAGA_DURATION] == [840.0]


def test_an_unknown_saga_emits_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    record_saga_duration("missing", OrderStatus.CONFIRMED, FakeSagaLog(), "2026-11-22T10:00:00.000Z")
    assert emf_documents(capsys.readouterr().out) == []
