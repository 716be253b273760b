"""The console's WSGI middleware: ``/_console/...`` is answered here, everything else goes on to the app it
wraps. Read-only (GET and HEAD only), for loopback Host names only (a page on another site cannot reach it
through DNS rebinding), no CORS headers, and a Content-Security-Policy that allows only its own files."""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from local_cloud.console import pages
from local_cloud.console.alarms_panel import alarm_states
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.console.emf_tail import EmfTail
from local_cloud.console.saga_kinds import SagaMachine, kinds_of
from local_cloud.console.sagas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    UnknownSaga,
    list_sagas,
    metrics,
    saga_detail,
    saga_machines,
)
from local_cloud.wsgi_types import StartResponse, WSGIApplication, WSGIEnvironment

LOG = logging.getLogger(__name__)
PREFIX = "/_console"
STATIC_DIR = Path(__file__).resolve().parent / "static"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ConsoleMiddleware:
    def __init__(self, app: WSGIApplication, reader: CloudReader) -> None:
        self.app = app
        self.reader = reader
        self.emf = EmfTail(reader.client("logs"))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return self.app(environ, start_response)
        request = Request(environ)
        try:
            response = self.respond(request, path[len(PREFIX) :])
        except Exception:  # the console must never take a server thread down
            LOG.exception("console: %s failed", path)
            response = _json({"message": "the console failed; see the local cloud's log"}, 500)
        response.headers.update(_SECURITY_HEADERS)
        return response(environ, start_response)

    def respond(self, request: Request, path: str) -> Response:
        if _host_name(request.host) not in _LOOPBACK_HOSTS:
            return _json({"message": "the console answers on loopback host names only"}, 403)
        if request.method not in ("GET", "HEAD"):
            response = _json({"message": "the console is read-only"}, 405)
            response.headers["Allow"] = "GET, HEAD"
            return response
        if path in ("", "/"):
            if path == "":
                return Response(status=308, headers={"Location": PREFIX + "/"})
            machines = saga_machines(self.reader)
            rows, panels = self._sagas(request, machines), self._metrics(machines)
            alarms = alarm_states(self.reader)
            return _html(pages.list_page(rows, panels, kinds_of(machines), request.args, alarms))
        parts = path.strip("/").split("/")
        route: Callable[[list[str], Request], Response] | None = {
            "sagas": self._saga_page,
            "api": self._api,
            "static": self._static,
        }.get(parts[0])
        return route(parts[1:], request) if route else _not_found()

    # ------------------------------------------------------------------ pages and API
    def _saga_page(self, parts: list[str], request: Request) -> Response:
        if len(parts) != 2:
            return _not_found()
        try:
            detail = saga_detail(self.reader, saga_machines(self.reader), *parts)
        except UnknownSaga as exc:
            return _html(pages.not_found_page(str(exc)), 404)
        return _html(pages.saga_page(detail))

    def _api(self, parts: list[str], request: Request) -> Response:
        if parts == ["sagas"]:
            return _json({"items": self._sagas(request, saga_machines(self.reader))})
        if parts == ["alarms"]:
            return _json({"items": alarm_states(self.reader)})
        if parts == ["metrics"]:
            return _json({"panels": self._metrics(saga_machines(self.reader))})
        if len(parts) == 3 and parts[0] == "sagas":
            try:
                return _json(saga_detail(self.reader, saga_machines(self.reader), *parts[1:]))
            except UnknownSaga as exc:
                return _json({"message": str(exc)}, 404)
        return _not_found()

    def _static(self, parts: list[str], request: Request) -> Response:
        found = safe_join(str(STATIC_DIR), *parts) if parts else None
        if found is None or not Path(found).is_file():
            return _not_found()
        mimetype = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return Response(Path(found).read_bytes(), mimetype=mimetype)

    def _sagas(self, request: Request, machines: list[SagaMachine]) -> list[dict[str, Any]]:
        args = request.args
        try:
            limit = min(MAX_LIMIT, max(1, int(args.get("limit", DEFAULT_LIMIT))))
        except ValueError:
            limit = DEFAULT_LIMIT
        return list_sagas(
            self.reader,
            machines,
            status=args.get("status", ""),
            kind=args.get("kind", ""),
            text=args.get("q", ""),
            limit=limit,
        )

    def _metrics(self, machines: list[SagaMachine]) -> list[dict[str, Any]]:
        return metrics(self.reader, self.emf, machines)


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=_json_value), status=status, mimetype="application/json")


def _json_value(value: Any) -> Any:
    """DynamoDB's numbers and sets, and datetimes, in JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def _not_found() -> Response:
    return _json({"message": "not found"}, 404)
