"""The JSON Schema of each version of the choreography's events, generated from their pydantic models
(saga_events.EVENT_MODELS) and committed in docs/schemas/: `make schemas` writes them again;
tests/unit/test_event_schemas.py fails when a model and its committed schema differ."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from checkout_saga.saga_events import EVENT_MODELS

SCHEMAS_DIR = Path("docs") / "schemas"


def schemas() -> dict[str, dict[str, Any]]:
    """file name -> JSON Schema, one per version: `saga-event.v<n>.json`."""
    return {
        f"saga-event.v{version}.json": {
            "$id": f"saga-event.v{version}.json",
            **model.model_json_schema(by_alias=True, mode="serialization"),
        }
        for version, model in sorted(EVENT_MODELS.items())
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else SCHEMAS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (directory / name).write_text(render(schema), encoding="utf-8")
        print(f"wrote {directory / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
