"""The local cloud serves this machine only: what a web page in a browser would send (a CORS preflight from a
foreign origin, a form POST, a DNS-rebinding Host) is refused by a running server, and AWS clients still work."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from local_cloud.guard import (
    GuardSettings,
    LocalOnlyGuard,
    disable_moto_global_cors,
    is_local_host,
    is_local_origin,
    parse_peers,
)
from local_cloud.netutil import HEALTH_PATH
from local_cloud.server import LocalCloud
from tests.infra.conftest import make_zip

EVIL = "https://evil.example"


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:4566", "LOCALHOST:4566", "127.0.0.1:4566", "127.3.2.1", "[::1]:4566", "[::1]",
     "host.docker.internal:4566", "localhost.:80"],
)  # fmt: skip
def test_loopback_and_container_hosts_are_local(host: str) -> None:
    assert is_local_host(host)


@pytest.mark.parametrize(
    "host",
    ["evil.example:4566", "evil.example", "", "0.0.0.0:4566", "192.168.1.10:4566", "localhost.evil.example",
     "127.0.0.1.nip.io:4566", "[::2]:4566", "host.docker.internal.evil.example"],
)  # fmt: skip
def test_other_hosts_are_not(host: str) -> None:
    assert not is_local_host(host)


def test_only_loopback_web_origins_are_local() -> None:
    assert is_local_origin("http://localhost:3000")
    assert is_local_origin("http://127.0.0.1:8080")
    for origin in (EVIL, "null", "http://evil.example:4566", "file://", "localhost:3000"):
        assert not is_local_origin(origin), origin


def test_a_browser_preflight_from_a_foreign_origin_is_refused_without_a_cors_grant(cloud: LocalCloud) -> None:
    # What a page on evil.example sends before a cross-origin CreateFunction.
    preflight = requests.options(
        f"{cloud.endpoint_url}/2015-03-31/functions",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        },
        timeout=10,
    )
    assert preflight.status_code == 403
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]
    assert "Origin" in preflight.json()["message"]


def test_a_simple_cross_origin_post_has_no_effect(cloud: LocalCloud, aws: Callable[[str], Any]) -> None:
    # A form POST needs no preflight: the browser sends it and only hides the answer. moto acts on unsigned
    # query-protocol requests, so the request itself must be refused.
    response = requests.post(
        cloud.endpoint_url,
        data={"Action": "CreateRole", "RoleName": "from-a-web-page", "AssumeRolePolicyDocument": "{}"},
        headers={"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 403
    roles = [role["RoleName"] for role in aws("iam").list_roles()["Roles"]]
    assert "from-a-web-page" not in roles


@pytest.mark.parametrize("path", [HEALTH_PATH, "/2015-03-31/functions", "/restapis/any/v1/_user_request_/checkout"])
def test_a_rebinding_host_is_refused(cloud: LocalCloud, path: str) -> None:
    # A page on evil.example whose DNS now points at 127.0.0.1: same origin for the browser, but its Host is its own.
    response = requests.get(f"{cloud.endpoint_url}{path}", headers={"Host": f"evil.example:{cloud.port}"}, timeout=10)
    assert response.status_code == 403
    assert "evil.example" in response.json()["message"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "host.docker.internal"])
def test_local_and_container_host_names_are_served(cloud: LocalCloud, host: str) -> None:
    response = requests.get(f"{cloud.endpoint_url}{HEALTH_PATH}", headers={"Host": f"{host}:{cloud.port}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["port"] == cloud.port


def test_aws_clients_still_work(aws: Callable[[str], Any], role_arn: str) -> None:
    assert role_arn.startswith("arn:aws:iam::000000000000:role/")
    assert "Functions" in aws("lambda").list_functions()


def test_moto_grants_no_cors_even_to_a_local_page(cloud: LocalCloud) -> None:
    # The guard lets a loopback origin through; what answers is moto with its global CORS turned off.
    response = requests.options(
        f"{cloud.endpoint_url}/2015-03-31/functions",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "serves this machine only" not in response.text  # moto's own answer, not the guard's
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_cors_seam_sets_and_restores_the_flag() -> None:
    from moto.moto_server import werkzeug_app as module

    werkzeug_app: Any = module  # moto sets the flag as a plain module attribute

    before = werkzeug_app.DISABLE_GLOBAL_CORS
    with disable_moto_global_cors():
        assert werkzeug_app.DISABLE_GLOBAL_CORS is True
    assert before == werkzeug_app.DISABLE_GLOBAL_CORS


# moto's control API: off unless the person starting the cloud asked for it.
MOTO_API_CALLS = [
    ("POST", "/moto-api/reset"),
    ("POST", "/moto-api/recorder/start-recording"),
    ("GET", "/moto-api/data.json"),
    ("GET", "/moto-api/"),
]


@pytest.mark.parametrize(("method", "path"), MOTO_API_CALLS)
def test_moto_api_is_refused_unless_opted_in(
    cloud: LocalCloud, aws: Callable[[str], Any], method: str, path: str
) -> None:
    queue_url = aws("sqs").create_queue(QueueName="survives-moto-api")["QueueUrl"]
    response = requests.request(method, f"{cloud.endpoint_url}{path}", timeout=10)
    assert response.status_code == 403
    assert "LOCAL_CLOUD_MOTO_API=1" in response.json()["message"]
    assert queue_url in aws("sqs").list_queues().get("QueueUrls", [])  # no reset happened


def test_opted_in_data_json_dumps_the_cloud_even_with_a_function(
    cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Lambda function's model has a property that connects to Docker: the dump used to fail on it (HTML 500).
    name = "dumped-function"
    functions = aws("lambda")
    if name not in [f["FunctionName"] for f in functions.list_functions()["Functions"]]:
        zipped = make_zip({"h.py": "def h(event, context):\n    return 1\n"})
        functions.create_function(FunctionName=name, Runtime="python3.11", Role=role_arn, Handler="h.h",
                                  Code={"ZipFile": zipped})  # fmt: skip
    monkeypatch.setattr(cloud.guard, "settings", GuardSettings(moto_api=True))
    response = requests.get(f"{cloud.endpoint_url}/moto-api/data.json", timeout=30)
    assert response.status_code == 200, response.text[:300]
    dumped = response.json()["awslambda"]["LambdaFunction"]
    assert name in [function["function_name"] for function in dumped]


@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
@pytest.mark.parametrize("origin", [None, "http://localhost:3000"])
def test_a_request_a_browser_marks_as_made_for_another_site_is_refused(
    cloud: LocalCloud, site: str, origin: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An <img> or <script> of a page on another site (or another port of localhost) carries no Origin, or a
    # loopback one, but the browser says where it comes from. Even with moto's control API opted in, such a GET
    # must not start the recorder (which would write every later request, bodies included, to a file).
    from moto.moto_api import recorder

    monkeypatch.setattr(cloud.guard, "settings", GuardSettings(moto_api=True))
    monkeypatch.chdir(tmp_path)  # where the recorder would write
    headers = {"Sec-Fetch-Site": site, **({"Origin": origin} if origin else {})}
    response = requests.get(f"{cloud.endpoint_url}/moto-api/recorder/start-recording", headers=headers, timeout=10)
    assert response.status_code == 403
    assert "Sec-Fetch-Site" in response.json()["message"]
    assert recorder._user_enabled is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_the_consoles_own_requests_and_typed_addresses_pass(cloud: LocalCloud, site: str) -> None:
    response = requests.get(f"{cloud.endpoint_url}/_console/", headers={"Sec-Fetch-Site": site}, timeout=10)
    assert response.status_code == 200
    assert "serves this machine only" not in response.text


def _guarded(settings: GuardSettings, **environ: str) -> tuple[str, Any]:
    """Runs the guard on one request; (status, body) of its answer, body None if it let the request through."""
    answered: list[str] = []

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"passed"]

    guard = LocalOnlyGuard(app, settings)
    request = {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost:4566", "PATH_INFO": "/", **environ}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        answered.append(status)
        return lambda data: None

    body = b"".join(guard(request, start_response))
    return answered[0], None if body == b"passed" else json.loads(body)


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_peers_pass_with_no_allow_list(peer: str) -> None:
    assert _guarded(GuardSettings(), REMOTE_ADDR=peer) == ("200 OK", None)


@pytest.mark.parametrize("peer", ["192.168.1.20", "172.17.0.2", "::ffff:10.0.0.7", "2001:db8::5", "", "unknown"])
def test_other_peers_are_refused_naming_why(peer: str) -> None:
    status, body = _guarded(GuardSettings(), REMOTE_ADDR=peer, HTTP_HOST="host.docker.internal:4566")
    assert status == "403 Forbidden"
    assert "LOCAL_CLOUD_ALLOWED_PEERS" in body["message"]
    assert repr(peer) in body["message"]


def test_allowed_peers_are_addresses_and_networks() -> None:
    settings = GuardSettings.from_environment({"LOCAL_CLOUD_ALLOWED_PEERS": " 172.17.0.0/16, 10.1.2.3 ,2001:db8::/64"})
    for peer in ("172.17.0.2", "172.17.255.254", "10.1.2.3", "::ffff:10.1.2.3", "2001:db8::5"):
        assert _guarded(settings, REMOTE_ADDR=peer, HTTP_HOST="host.docker.internal:4566")[1] is None, peer
    for peer in ("172.18.0.2", "10.1.2.4", "2001:db9::5"):
        assert _guarded(settings, REMOTE_ADDR=peer)[0] == "403 Forbidden", peer
    # An allowed peer still has to name this machine: a rebinding page on a peer is refused all the same.
    assert _guarded(settings, REMOTE_ADDR="10.1.2.3", HTTP_HOST="evil.example")[0] == "403 Forbidden"


@pytest.mark.parametrize(
    ("environ", "named"),
    [({"LOCAL_CLOUD_ALLOWED_PEERS": "10.0.0.0/8,my-laptop"}, "'my-laptop'"),
     ({"LOCAL_CLOUD_MOTO_API": "yes"}, "LOCAL_CLOUD_MOTO_API='yes'")],
)  # fmt: skip
def test_a_bad_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        GuardSettings.from_environment(environ)


def test_the_moto_api_switch_reads_one() -> None:
    assert GuardSettings.from_environment({"LOCAL_CLOUD_MOTO_API": "1"}).moto_api
    assert not GuardSettings.from_environment({}).moto_api
    assert _guarded(GuardSettings(moto_api=True), PATH_INFO="/moto-api/reset")[1] is None


def test_a_server_bound_beyond_loopback_refuses_a_peer_not_allowed() -> None:
    # The peer is the socket's: the guard on a real listener, reached through this machine's own address.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            pytest.skip("this machine has no non-loopback IPv4 address")
        address = str(probe.getsockname()[0])

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"served"]

    for allowed, expected in (("", 403), (address, 200)):
        guard = LocalOnlyGuard(app, GuardSettings(allowed_peers=parse_peers(allowed)))
        server = make_server("0.0.0.0", 0, guard, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.socket.getsockname()[1]
            host = {"Host": f"host.docker.internal:{port}"}
            answer = requests.get(f"http://{address}:{port}/", headers=host, timeout=10)
            assert answer.status_code == expected, (allowed, answer.text)
            if expected == 403:
                assert f"peer '{address}'" in answer.json()["message"]
            assert requests.get(f"http://127.0.0.1:{port}/", headers=host, timeout=10).status_code == 200
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
