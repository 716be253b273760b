"""The console's HTTP surface without a cloud behind it: what it refuses, what it passes on, its static
files and headers. Its data are tested against real executions in tests/statemachine/test_console_data.py and
over HTTP in tests/e2e/test_console_api.py."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from local_cloud.console.app import ConsoleMiddleware
from local_cloud.console.cloud_reader import CloudReader


def behind(environ: dict[str, Any], start_response: Any) -> Any:
    return Response("the wrapped app", status=200)(environ, start_response)


@pytest.fixture
def client() -> Client:
    # Nothing listens at this endpoint: these requests must be answered before any read.
    return Client(ConsoleMiddleware(behind, CloudReader("http://127.0.0.1:9")))


def test_other_paths_go_on_to_the_wrapped_app(client: Client) -> None:
    response = client.get("/restapis/x/v1/_user_request_/orders")
    assert response.get_data(as_text=True) == "the wrapped app"
    assert client.get("/_consoleX").get_data(as_text=True) == "the wrapped app"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_the_console_is_read_only(client: Client, method: str) -> None:
    response = client.open("/_console/api/sagas", method=method, headers={"Origin": "https://evil.example"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:4566", "10.0.0.5:4566", "localhost.evil.example"])
def test_only_loopback_host_names_are_answered(client: Client, host: str) -> None:
    # A page on another site that rebinds its name to 127.0.0.1 still sends its own Host.
    response = client.get("/_console/", headers={"Host": host})
    assert response.status_code == 403


def test_no_cors_is_granted_and_the_page_may_load_only_its_own_files(client: Client) -> None:
    response = client.get("/_console/static/console.js", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert not [name for name, _ in response.headers.items() if name.lower().startswith("access-control-")]
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_vendored_libraries_are_served_with_their_licences(client: Client) -> None:
    for path in ["cytoscape/cytoscape.min.js", "cytoscape-dagre/cytoscape-dagre.min.js"]:
        response = client.get(f"/_console/static/vendor/{path}")
        assert response.status_code == 200
        assert len(response.get_data()) > 10_000
    for licence in ["cytoscape/LICENSE", "cytoscape-dagre/LICENSE", "cytoscape-dagre/LICENSE.dagre"]:
        assert "Permission is hereby granted" in client.get(f"/_console/static/vendor/{licence}").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/_console/static/../app.py", "/_console/static/%2e%2e/app.py", "/_console/static/"])
def test_static_files_stay_in_their_folder(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_unknown_console_paths_are_404_and_the_bare_prefix_redirects(client: Client) -> None:
    assert client.get("/_console/nothing-here").status_code == 404
    assert client.get("/_console/sagas/one-part-too/many/parts").status_code == 404
    redirect = client.get("/_console")
    assert (redirect.status_code, redirect.headers["Location"]) == (308, "/_console/")
