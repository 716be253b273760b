"""Versioned events: each version's committed JSON Schema is the one its pydantic model generates (run `make
schemas` after changing a model), producers write the current version, and consumers read the current and the
previous one and refuse any other with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkout_saga.event_schemas import SCHEMAS_DIR, render, schemas
from checkout_saga.saga_events import (
    PREVIOUS_SCHEMA_VERSION,
    SCHEMA_VERSION,
    SagaEvent,
    UnknownEventVersion,
    read_event,
)

ROOT = Path(__file__).resolve().parents[2]
DETAIL = {"sagaId": "o-1", "name": "CheckoutRequested", "round": 0, "context": {"orderId": "o-1"}}


@pytest.mark.parametrize("name", sorted(schemas()))
def test_each_committed_schema_is_the_one_its_model_generates(name: str) -> None:
    committed = (ROOT / SCHEMAS_DIR / name).read_text(encoding="utf-8")
    assert committed == render(schemas()[name]), f"{SCHEMAS_DIR / name} is stale: run make schemas"


def test_there_is_a_schema_per_version_and_no_other() -> None:
    assert sorted(path.name for path in (ROOT / SCHEMAS_DIR).glob("saga-event.v*.json")) == sorted(schemas())
    assert set(schemas()) == {f"saga-event.v{v}.json" for v in (PREVIOUS_SCHEMA_VERSION, SCHEMA_VERSION)}


def test_producers_write_the_current_version() -> None:
    payload = SagaEvent(saga_id="o-1", name="CheckoutRequested", context={}).to_payload()
    assert payload["schemaVersion"] == SCHEMA_VERSION


def test_consumers_read_the_current_and_the_previous_version_alike() -> None:
    previous = read_event(DETAIL)
    current = read_event({**DETAIL, "schemaVersion": SCHEMA_VERSION})

    assert previous == current
    assert previous.schema_version == SCHEMA_VERSION
    assert previous.event_id == "o-1#CheckoutRequested#0"


@pytest.mark.parametrize("version", [0, 3, "2"])
def test_any_other_version_is_refused_naming_it(version: object) -> None:
    with pytest.raises(UnknownEventVersion, match=f"schemaVersion {version!r}: this consumer reads 1 and 2"):
        read_event({**DETAIL, "schemaVersion": version})


def test_the_schema_refuses_what_the_model_refuses() -> None:
    schema = json.loads(render(schemas()[f"saga-event.v{SCHEMA_VERSION}.json"]))
    assert schema["properties"]["schemaVersion"]["const"] == SCHEMA_VERSION
    assert set(schema["required"]) == {"sagaId", "name", "context"}
