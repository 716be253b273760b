"""`make deploy-localstack` asks LocalStack's health endpoint first: a LocalStack that lacks a service the
template needs (the free plan has no Cognito) is refused before anything is deployed, naming the service and
the plan that has it. The health document is served over HTTP as LocalStack serves it."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from saga_client.localstack_services import check, needed_services

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def health_server(services: dict[str, str]) -> Iterator[str]:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"services": services, "edition": "community", "version": "4.14.0"}).encode()
            self.send_response(200 if self.path == "/_localstack/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def community() -> Iterator[str]:
    """A free LocalStack: everything but Cognito."""
    services = {service: "available" for service in needed_services(TEMPLATE) if service != "cognito-idp"}
    yield from health_server({**services, "cognito-idp": "disabled"})


@pytest.fixture
def pro() -> Iterator[str]:
    yield from health_server(dict.fromkeys(needed_services(TEMPLATE), "running"))


def test_the_template_needs_cognito_and_the_services_it_deploys_with() -> None:
    needed = needed_services(TEMPLATE)
    assert {"cognito-idp", "lambda", "stepfunctions", "dynamodb", "apigateway", "cloudformation"} <= set(needed)


def test_a_free_localstack_is_refused_naming_cognito_and_the_plan(community: str, capsys) -> None:
    assert check(community, TEMPLATE) == 2
    said = capsys.readouterr().err
    assert "does not run cognito-idp" in said
    assert "paid plans only" in said
    assert "make up" in said


def test_a_localstack_with_every_service_goes_on(pro: str, capsys) -> None:
    assert check(pro, TEMPLATE) == 0
    assert "runs every service" in capsys.readouterr().err


def test_no_localstack_at_all_says_how_to_start_it(capsys) -> None:
    assert check("http://127.0.0.1:9", TEMPLATE) == 2
    assert "docker compose up" in capsys.readouterr().err
