"""Property-based tests of the deployed API against its own OpenAPI document: schemathesis generates valid
and invalid requests for every operation; no answer may be a 5xx, and every answer must conform to the
document (status code, content type, headers, body schema).

The document is the committed openapi.json, which tests/api checks is current and test_api_e2e checks is
what the API serves. (schemathesis' `from_fixture` loader, which would read it from the live URL, breaks
on pytest 9: it writes `node._nodeid`.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the document calls invalid must be refused with a 4xx
]


@pytest.fixture(scope="module")
def api_url(deployed_stack: Stack) -> str:
    return deployed_stack.outputs["ApiUrl"].rstrip("/")


@pytest.fixture(scope="module")
def operator(deployed_stack: Stack) -> dict[str, str]:
    """An operator's ID token: every operation is theirs to call (the access rules have their own tests)."""
    return deployed_stack.auth("operator-schemathesis", operator=True)


schema = schemathesis.openapi.from_path(ROOT / "openapi.json")


@schema.parametrize()
@settings(max_examples=30, deadline=10_000, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case: Any, api_url: str, operator: dict[str, str]) -> None:
    # The token goes into the case itself, not only onto the wire: a negative case that dropped Authorization
    # is then judged by what is sent (schemathesis reads the case's headers to tell what was really invalid).
    case.headers = {**(case.headers or {}), **operator}
    case.call_and_validate(base_url=api_url, checks=CHECKS, timeout=30)
