"""`python -m local_cloud up|down|status|serve` as users and `make` run it: real processes, a temp
state directory and a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from local_cloud.netutil import HEALTH_PATH, bind_listener, free_port, health
from tests.infra.conftest import ROLE_POLICY, make_zip, pid_alive, wait_dead

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def cli(
    state: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LOCAL_CLOUD_STATE_DIR": str(state), "PYTHONPATH": str(ROOT / "infra")}
    environment.pop("LOCAL_CLOUD_PORT", None)
    environment.update(env or {})
    command = [sys.executable, "-m", "local_cloud", *args]
    if port is not None:
        command += ["--port", str(port)]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=90)


def servers_on(port: int) -> list[int]:
    """Processes running `local_cloud serve ... --port <port>` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                b"local_cloud" in argv
                and b"serve" in argv
                and str(port).encode() in argv
                and pid_alive(int(entry.name))
            ):
                found.append(int(entry.name))
    return found


@pytest.fixture
def port(state: Path) -> Iterator[int]:
    port = free_port()
    yield port
    cli(state, "down")  # whatever a failed test left behind


def test_up_twice_starts_one_server_and_down_stops_it_with_its_workers(state: Path, port: int) -> None:
    first = cli(state, "up", port=port)
    assert first.returncode == 0, first.stderr
    assert "ready" in first.stderr
    server_pid = int((state / "server.pid").read_text())
    assert (health("127.0.0.1", port) or {}).get("pid") == server_pid
    assert (state / "server.addr").read_text().strip() == f"127.0.0.1:{port}"  # loopback unless told otherwise
    address = _non_loopback_address()
    if address is not None:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=2).close()

    second = cli(state, "up", port=port)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stderr
    assert servers_on(port) == [server_pid]

    status = cli(state, "status")
    assert status.returncode == 0
    assert str(server_pid) in status.stdout
    assert str(port) in status.stdout

    # A Lambda worker, to check that `down` takes the workers with it.
    endpoint = f"http://localhost:{port}"
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "test",
              "aws_secret_access_key": "test"}  # fmt: skip
    role = boto3.client("iam", **kwargs).create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    lam = boto3.client("lambda", **kwargs)
    lam.create_function(
        FunctionName="pid",
        Runtime="python3.11",
        Role=role,
        Handler="h.handler",
        Code={"ZipFile": make_zip({"h.py": "import os\ndef handler(event, context):\n    return os.getpid()\n"})},
    )
    worker_pid = json.loads(lam.invoke(FunctionName="pid")["Payload"].read())
    assert pid_alive(worker_pid)
    assert worker_pid != server_pid

    down = cli(state, "down")
    assert down.returncode == 0, down.stderr
    assert "stopped" in down.stderr
    assert wait_dead(server_pid)
    assert wait_dead(worker_pid)
    assert not (state / "server.pid").exists()
    assert health("127.0.0.1", port) is None

    again = cli(state, "down")
    assert again.returncode == 0
    assert "not running" in again.stderr
    assert cli(state, "status").returncode == 1


def _non_loopback_address() -> str | None:
    """An IPv4 address of this machine other than loopback (the route a container would take), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_local_cloud_host_opens_the_server_to_containers_but_not_to_other_host_names(state: Path, port: int) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    # The machine's own address stands for a container's: a peer the person allowed.
    started = cli(state, "up", port=port, env={"LOCAL_CLOUD_HOST": "0.0.0.0", "LOCAL_CLOUD_ALLOWED_PEERS": address})
    assert started.returncode == 0, started.stderr
    assert (state / "server.addr").read_text().strip() == f"0.0.0.0:{port}"

    # Reached through the machine's own address, as a container reaches the host through host.docker.internal.
    as_container = requests.get(
        f"http://{address}:{port}{HEALTH_PATH}", headers={"Host": f"host.docker.internal:{port}"}, timeout=10
    )
    assert as_container.status_code == 200
    assert as_container.json()["pid"] == int((state / "server.pid").read_text())
    by_address = requests.get(f"http://{address}:{port}{HEALTH_PATH}", timeout=10)  # Host: <that address>
    assert by_address.status_code == 403


def test_port_in_use_is_one_clear_line_and_exit_2(state: Path) -> None:
    with bind_listener("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        served = cli(state, "serve", port=port)
        started = cli(state, "up", env={"LOCAL_CLOUD_PORT": str(port)})  # the port from the environment

    for result in (served, started):
        assert result.returncode == 2
        assert f"port {port}" in result.stderr
        assert "LOCAL_CLOUD_PORT" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (state / "server.pid").exists()


def test_a_bad_guard_setting_is_one_clear_line(state: Path) -> None:
    result = cli(state, "up", env={"LOCAL_CLOUD_ALLOWED_PEERS": "10.0.0.0/8,my-laptop"})
    assert result.returncode == 2
    assert "LOCAL_CLOUD_ALLOWED_PEERS: 'my-laptop' is not an IP address or network" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_port_setting(state: Path) -> None:
    result = cli(state, "up", env={"LOCAL_CLOUD_PORT": "not-a-port"})
    assert result.returncode == 2
    assert "LOCAL_CLOUD_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_stale_pid_file_is_not_trusted(state: Path) -> None:
    state.mkdir(parents=True)
    (state / "server.pid").write_text(f"{os.getpid()}\n")  # alive, but not a local cloud
    (state / "server.addr").write_text(f"127.0.0.1:{free_port()}\n")

    assert cli(state, "status").returncode == 1
    down = cli(state, "down")
    assert down.returncode == 0
    assert "stale" in down.stderr
    assert pid_alive(os.getpid())
    assert not (state / "server.pid").exists()
