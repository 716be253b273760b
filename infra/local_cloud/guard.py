"""The local cloud's front door: only this machine (and its containers) may drive it.

A web page open in the developer's browser can send requests to any port of the machine. Two ways in are
closed here, before any request reaches moto or the API Gateway middleware:

- **DNS rebinding.** A page on ``evil.example`` whose name is re-pointed at 127.0.0.1 talks to us as its
  own origin, so CORS does not stop it; but its requests carry ``Host: evil.example``. Only loopback names
  and addresses (``localhost``, ``127.x.x.x``, ``[::1]``) and ``host.docker.internal`` (containers such as
  ``sam local invoke``'s) are accepted, with any port: anything else gets ``403``.
- **Cross-origin requests.** A browser adds ``Origin`` to a cross-origin request. Some need no preflight
  (a form POST), and moto would act on them even though the page cannot read the answer; so a request whose
  ``Origin`` is not a loopback origin gets ``403``, preflight included. AWS SDKs and CLIs send no ``Origin``.
  moto's own global CORS, which grants every origin, is turned off too (``disable_moto_global_cors``).
- **Requests a browser sends for another site.** A cross-site ``<img>``, ``<script>`` or link carries no
  ``Origin``; but browsers mark every request with ``Sec-Fetch-Site``: ``cross-site`` and ``same-site`` (a page
  on another port of localhost) get ``403``, whatever the Origin. ``same-origin`` (the console's own calls) and
  ``none`` (an address typed in the address bar) pass; AWS SDKs and CLIs send no such header.
- **moto's control API.** ``/moto-api/`` resets the cloud, records every request to a file, dumps every
  resource, without credentials: ``403`` unless the person starting the cloud set ``LOCAL_CLOUD_MOTO_API=1``.
- **Other machines.** Bound beyond loopback (``LOCAL_CLOUD_HOST``), the server accepts a peer only if it is a
  loopback address or one of ``LOCAL_CLOUD_ALLOWED_PEERS`` (comma-separated addresses or networks, e.g. the
  containers' bridge ``172.17.0.0/16``).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from local_cloud.seams import Installation, replace, require_source
from local_cloud.wsgi_types import StartResponse, WSGIApplication, WSGIEnvironment

ALLOWED_HOST_NAMES = frozenset({"localhost", "host.docker.internal"})
MOTO_API_PREFIX = "/moto-api"
MOTO_API_VARIABLE = "LOCAL_CLOUD_MOTO_API"
ALLOWED_PEERS_VARIABLE = "LOCAL_CLOUD_ALLOWED_PEERS"
# What a browser says of a request made for a page of another site, or of another port of this one.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class GuardSettings:
    """What the person starting the cloud allows beyond this machine's own programs."""

    moto_api: bool = False
    allowed_peers: tuple[Network, ...] = field(default=())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> GuardSettings:
        """``LOCAL_CLOUD_MOTO_API=1`` and ``LOCAL_CLOUD_ALLOWED_PEERS``; raises ValueError naming a bad value."""
        environ = os.environ if environ is None else environ
        switch = environ.get(MOTO_API_VARIABLE, "").strip()
        if switch not in ("", "0", "1"):
            raise ValueError(f"{MOTO_API_VARIABLE}={switch!r}: set it to 1 to serve /moto-api/, or leave it unset")
        return cls(moto_api=switch == "1", allowed_peers=parse_peers(environ.get(ALLOWED_PEERS_VARIABLE, "")))


def parse_peers(text: str) -> tuple[Network, ...]:
    """``10.0.0.5, 172.17.0.0/16`` -> networks; raises ValueError naming the entry that is not one."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{ALLOWED_PEERS_VARIABLE}: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def is_allowed_peer(address: str, allowed: tuple[Network, ...]) -> bool:
    try:
        peer = ipaddress.ip_address(address.partition("%")[0])  # fe80::1%eth0: the zone names no address
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return peer.is_loopback or any(peer in network for network in allowed)


def host_name(host_header: str) -> str:
    """The name or address in a Host header, without its port and brackets, lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:4566
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_local_host(host_header: str) -> bool:
    name = host_name(host_header)
    if name in ALLOWED_HOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_local_origin(origin: str) -> bool:
    """``http(s)://<loopback host>[:port]``: a page served from this machine. ``null`` (a file or a
    sandboxed frame) is not one."""
    parts = urlsplit(origin.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and is_local_host(parts.netloc)


class LocalOnlyGuard:
    def __init__(self, app: WSGIApplication, settings: GuardSettings | None = None) -> None:
        self.app = app
        self.settings = settings or GuardSettings()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        why = self.refusal(environ)
        if why is not None:
            return _forbidden(start_response, why)
        return self.app(environ, start_response)

    def refusal(self, environ: WSGIEnvironment) -> str | None:
        """Why this request is refused, or None."""
        peer = str(environ.get("REMOTE_ADDR") or "")
        if not is_allowed_peer(peer, self.settings.allowed_peers):
            return f"peer {peer!r} is neither loopback nor listed in {ALLOWED_PEERS_VARIABLE}"
        host = environ.get("HTTP_HOST", "")
        if not is_local_host(host):
            return f"Host {host!r} is not a loopback name or address"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not is_local_origin(origin):
            return f"Origin {origin!r} is not a loopback origin"
        site = str(environ.get("HTTP_SEC_FETCH_SITE") or "").strip().lower()
        if site in FOREIGN_FETCH_SITES:
            return f"the browser marks this request Sec-Fetch-Site: {site}, made for another page"
        path = str(environ.get("PATH_INFO") or "")
        if path.startswith(MOTO_API_PREFIX) and not self.settings.moto_api:
            return f"moto's control API {MOTO_API_PREFIX}/ is off; start the cloud with {MOTO_API_VARIABLE}=1 to use it"
        return None


def disable_moto_global_cors() -> Installation:
    """moto's server wraps each service's Flask app in flask-cors, which answers every preflight and echoes
    any Origin, unless ``MOTO_DISABLE_GLOBAL_CORS`` was set before moto was imported. The flag is read from
    werkzeug_app's module global each time a service's app is built (on its first request), so setting
    that global works whenever moto was imported."""
    from moto.moto_server import werkzeug_app

    require_source(werkzeug_app.create_backend_app, ["if not DISABLE_GLOBAL_CORS:"], "create_backend_app")
    return Installation([replace(werkzeug_app, "DISABLE_GLOBAL_CORS", True)])


def _forbidden(start_response: StartResponse, why: str) -> Iterable[bytes]:
    body = json.dumps({"message": f"Forbidden: the local cloud serves this machine only ({why})"}).encode()
    start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
