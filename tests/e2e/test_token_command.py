"""`make token USER=... [GROUP=admins]`'s command: one ID token line, for a user created if missing, that the
deployed API accepts (as a customer, or as an operator with GROUP=admins)."""

from __future__ import annotations

import uuid

import pytest
import requests

from saga_client.__main__ import main
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]


def _token(stack: Stack, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["token", "--endpoint-url", str(stack.endpoint_url), "--stack-name", "e2e", *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    return lines[0]


def test_the_token_command_prints_one_token_the_api_accepts(deployed_stack: Stack, capsys) -> None:
    user = f"cli-{uuid.uuid4().hex[:6]}"
    url = deployed_stack.outputs["ApiUrl"]

    customer = _token(deployed_stack, capsys, "--user", user)
    operator = _token(deployed_stack, capsys, "--user", f"{user}-ops", "--group", "admins")

    assert requests.get(f"{url}/products/KB-001", headers={"Authorization": customer}, timeout=30).status_code == 200
    assert (
        requests.get(f"{url}/sagas?status=PENDING", headers={"Authorization": customer}, timeout=30).status_code == 403
    )
    assert (
        requests.get(f"{url}/sagas?status=PENDING", headers={"Authorization": operator}, timeout=30).status_code == 200
    )
    again = _token(deployed_stack, capsys, "--user", user)  # the user exists now: signed in again
    assert requests.get(f"{url}/products/KB-001", headers={"Authorization": again}, timeout=30).status_code == 200
