"""Sockets and ports, without importing moto (the CLI's `up`/`down`/`status` stay fast)."""

from __future__ import annotations

import errno
import json
import os
import socket
import urllib.error
import urllib.request
from typing import Any

DEFAULT_PORT = 4566
DEFAULT_HOST = "127.0.0.1"  # loopback only: see guard.py for what else keeps other machines' pages out
HEALTH_PATH = "/_local_cloud/health"


class PortInUseError(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} on {host} is already in use")
        self.host = host
        self.port = port


def port_in_use_message(host: str, port: int) -> str:
    return (
        f"local-cloud: port {port} on {host} is already in use. Stop what runs there "
        f"(`make down` if it is a local cloud started by `make up`) or use another port, "
        f"e.g. LOCAL_CLOUD_PORT={port + 1}."
    )


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one). Raises PortInUseError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # Lets a restarted server reuse a port whose old connections linger in TIME_WAIT; on Linux and
    # macOS it does not allow two listeners on one port.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from exc
        raise
    return sock


def port_is_free(host: str, port: int) -> bool:
    try:
        bind_listener(host, port).close()
    except PortInUseError:
        return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with bind_listener(host, 0) as sock:
        return int(sock.getsockname()[1])


def connect_host(host: str) -> str:
    """The address clients use for a server bound to ``host``. 127.0.0.1 rather than localhost:
    localhost may resolve to ::1 first, where nothing listens."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "localhost") else ("::1" if host == "::" else host)


def endpoint_url(host: str, port: int) -> str:
    address = connect_host(host)
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def resolve_host(cli_host: str | None) -> str:
    """--host, else $LOCAL_CLOUD_HOST (``0.0.0.0`` lets containers reach the server), else loopback."""
    return cli_host or os.environ.get("LOCAL_CLOUD_HOST", "").strip() or DEFAULT_HOST


def resolve_port(cli_port: int | None) -> int:
    if cli_port is not None:
        return cli_port
    raw = os.environ.get("LOCAL_CLOUD_PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"LOCAL_CLOUD_PORT={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ValueError(f"LOCAL_CLOUD_PORT={raw!r} is not a port number")
    return port


def health(host: str, port: int, timeout: float = 1.0, *, stored: bool = False) -> dict[str, Any] | None:
    """The local cloud's health document, or None if no local cloud answers there. `stored`: with the bytes each
    service keeps (`storedBytes`: a walk of all of them, seconds when they hold hundreds of MB)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP(S)_PROXY
    query = "?stored=1" if stored else ""
    try:
        with opener.open(endpoint_url(host, port) + HEALTH_PATH + query, timeout=timeout) as response:
            document = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return document if isinstance(document, dict) and document.get("service") == "local-cloud" else None
