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
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from local_cloud.seams import Installation, replace, require_source
from local_cloud.wsgi_types import StartResponse, WSGIApplication, WSGIEnvironment

ALLOWED_HOST_NAMES = frozenset({"localhost", "host.docker.internal"})


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
    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        if not is_local_host(host):
            return _forbidden(start_response, f"Host {host!r} is not a loopback name or address")
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not is_local_origin(origin):
            return _forbidden(start_response, f"Origin {origin!r} is not a loopback origin")
        return self.app(environ, start_response)


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
