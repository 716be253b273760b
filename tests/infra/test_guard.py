"""The local cloud serves this machine only: what a web page in a browser would send (a CORS preflight from a
foreign origin, a form POST, a DNS-rebinding Host) is refused by a running server, and AWS clients still work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from local_cloud.guard import disable_moto_global_cors, is_local_host, is_local_origin
from local_cloud.netutil import HEALTH_PATH
from local_cloud.server import LocalCloud

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
