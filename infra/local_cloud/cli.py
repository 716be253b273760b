"""``python -m local_cloud serve|up|down|status``.

- ``serve``: run the local cloud in the foreground.
- ``up``: start ``serve`` in the background (own session; log and pid under the state directory,
  ``.local-cloud/`` or $LOCAL_CLOUD_STATE_DIR) and wait until it answers. A second ``up`` finds the
  running server and starts nothing.
- ``down``: SIGTERM, then SIGKILL to its whole process group after a grace period.
- ``status``: exit 0 and print pid/port/URL when running, exit 1 otherwise.

Port: ``--port``, else $LOCAL_CLOUD_PORT, else 4566. A taken port exits with code 2.
Address: ``--host``, else $LOCAL_CLOUD_HOST, else 127.0.0.1 (``0.0.0.0`` for containers, e.g.
``sam local invoke``'s; requests must still name a loopback host or host.docker.internal, and come from loopback
or an address of $LOCAL_CLOUD_ALLOWED_PEERS). moto's ``/moto-api/`` only with $LOCAL_CLOUD_MOTO_API=1 (``guard``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from local_cloud.guard import GuardSettings
from local_cloud.netutil import (
    endpoint_url,
    health,
    port_in_use_message,
    port_is_free,
    resolve_host,
    resolve_port,
)

_INFRA_DIR = str(Path(__file__).resolve().parent.parent)
START_TIMEOUT_SECONDS = float(os.environ.get("LOCAL_CLOUD_START_TIMEOUT", "60"))
STOP_GRACE_SECONDS = 10.0


def state_dir() -> Path:
    return Path(os.environ.get("LOCAL_CLOUD_STATE_DIR") or ".local-cloud")


@dataclass(frozen=True)
class Running:
    pid: int
    host: str
    port: int

    @property
    def url(self) -> str:
        return endpoint_url(self.host, self.port)


def _say(message: str, end: str = "\n") -> None:
    print(message, end=end, file=sys.stderr, flush=True)


# -- state files --------------------------------------------------------------------------------


def _read_state(directory: Path) -> Running | None:
    """The server recorded by ``up`` (server.pid holds the pid, server.addr host:port)."""
    try:
        pid = int((directory / "server.pid").read_text().strip())
        host, _, port = (directory / "server.addr").read_text().strip().rpartition(":")
        return Running(pid, host, int(port))
    except (OSError, ValueError):
        return None


def _write_state(directory: Path, running: Running) -> None:
    (directory / "server.addr").write_text(f"{running.host}:{running.port}\n")
    (directory / "server.pid").write_text(f"{running.pid}\n")


def _clear_state(directory: Path) -> None:
    for name in ("server.pid", "server.addr"):
        (directory / name).unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Two `make up` at once must not start two servers."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our own exited child
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """An exited process its parent has not reaped (the server's parent, `up`, is gone, and not every
    init reaps promptly) still answers kill(pid, 0): it is dead all the same."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _is_ours(running: Running) -> bool:
    """Guard against a stale pid file whose pid now belongs to another program."""
    if not _alive(running.pid):
        return False
    document = health(running.host, running.port)
    if document is not None:
        return bool(document.get("pid") == running.pid)
    cmdline = Path(f"/proc/{running.pid}/cmdline")
    if cmdline.exists():  # alive but not answering (still starting, or stuck): trust its command line
        return b"local_cloud" in cmdline.read_bytes()
    return True


def running_server(directory: Path) -> Running | None:
    running = _read_state(directory)
    return running if running is not None and _is_ours(running) else None


# -- commands -----------------------------------------------------------------------------------


def up(host: str, port: int, directory: Path, timeout: float = START_TIMEOUT_SECONDS) -> int:
    with _locked(directory):
        running = running_server(directory)
        if running is not None:
            if running.port == port:
                _say(f"local cloud already running at {running.url} (pid {running.pid})")
                return 0
            _say(
                f"local-cloud: already running at {running.url} (pid {running.pid}); "
                f"run `make down` first to move it to port {port}"
            )
            return 2
        _clear_state(directory)
        if not port_is_free(host, port):
            _say(port_in_use_message(host, port))
            return 2
        log_path = directory / "server.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_INFRA_DIR, env.get("PYTHONPATH", "")) if p)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "local_cloud", "serve", "--host", host, "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # survives the shell that ran `make up`; `down` kills its group
            )
        running = Running(proc.pid, host, port)
        _write_state(directory, running)
        _say(f"starting local cloud on {running.url} ", end="")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                _say(" failed")
                _clear_state(directory)
                _say(f"local-cloud: the server exited with code {code}; last lines of {log_path}:")
                _say(_tail(log_path))
                return 2 if code == 2 else 1
            document = health(host, port, timeout=0.5)
            if document is not None and document.get("pid") == proc.pid:
                _say(" ready")
                _say(f"local cloud running at {running.url} (pid {proc.pid}, log {log_path})")
                _say(
                    f"it keeps ended executions and idle log streams {document.get('retentionSeconds')} s "
                    "(LOCAL_CLOUD_RETENTION_SECONDS)"
                )
                return 0
            _say(".", end="")
            time.sleep(0.25)
        _say(" timed out")
        _stop(running)
        _clear_state(directory)
        _say(f"local-cloud: no answer after {timeout:.0f} s; last lines of {log_path}:")
        _say(_tail(log_path))
        return 1


def down(directory: Path, grace: float = STOP_GRACE_SECONDS) -> int:
    with _locked(directory):
        recorded = _read_state(directory)
        if recorded is None:
            _say("local cloud is not running")
            return 0
        if not _is_ours(recorded):
            _clear_state(directory)
            _say(f"local cloud is not running (removed a stale pid file for pid {recorded.pid})")
            return 0
        _stop(recorded, grace)
        _clear_state(directory)
        _say(f"local cloud stopped (pid {recorded.pid})")
        return 0


def _stop(running: Running, grace: float = STOP_GRACE_SECONDS) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(running.pid, signal.SIGTERM)  # the server stops its Lambda workers itself
    deadline = time.monotonic() + grace
    while _alive(running.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    # `up` made the server a session (and group) leader: its group is the server and its workers.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(running.pid, signal.SIGKILL)
    while _alive(running.pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)


def status(directory: Path) -> int:
    running = running_server(directory)
    if running is None:
        print("local cloud: not running")
        return 1
    print(f"local cloud: running at {running.url} (pid {running.pid}, port {running.port})")
    return 0


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_cloud", description="The docker-free local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("serve", "run in the foreground"), ("up", "start in the background and wait until ready")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--host", default=None, help="default: $LOCAL_CLOUD_HOST or 127.0.0.1")
        command.add_argument("--port", type=int, default=None, help="default: $LOCAL_CLOUD_PORT or 4566")
        if name == "serve":
            command.add_argument("--log-requests", action="store_true", help="log every HTTP request")
    commands.add_parser("down", help="stop the server `up` started")
    commands.add_parser("status", help="exit 0 if running, 1 if not")
    args = parser.parse_args(argv)

    if args.command in ("serve", "up"):
        host = resolve_host(args.host)
        try:
            port = resolve_port(args.port)
            GuardSettings.from_environment()  # a bad LOCAL_CLOUD_MOTO_API or LOCAL_CLOUD_ALLOWED_PEERS: say so now
        except ValueError as exc:
            _say(f"local-cloud: {exc}")
            return 2
        if args.command == "serve":
            from local_cloud.server import serve  # imports moto: only where needed

            return serve(host, port, log_requests=args.log_requests)
        return up(host, port, state_dir())
    if args.command == "down":
        return down(state_dir())
    return status(state_dir())
