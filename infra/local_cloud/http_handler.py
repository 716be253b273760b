"""The server's HTTP request handler: moto's, with HTTP/1.1 keep-alive and without a log line per request.

werkzeug's development server answers every request with ``Connection: close`` because http.server
cannot drain an unread request body before the next request line. Here the body is read in full before
the application runs (the application then reads it from memory), so the connection is always at the
next request's first byte and can stay open. Every AWS call the SDKs make (a Lambda handler's DynamoDB
calls, Step Functions' Lambda calls) then reuses its connection instead of paying a TCP connect and a
server thread start: about 1 ms of CPU per request on a small machine.
"""

from __future__ import annotations

import io
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler

# An idle keep-alive connection holds a server thread; clients reconnect transparently after this.
IDLE_TIMEOUT_SECONDS = 60.0


class _Drained(io.RawIOBase):
    """What werkzeug's post-response drain reads instead of the socket: nothing, so it cannot swallow the
    next request's bytes (the body was already read in full)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return 0


class KeepAliveRequestHandler(MotoRequestHandler):
    timeout = IDLE_TIMEOUT_SECONDS
    keep_alive = True
    # http.server sends the headers and the body in separate writes: with Nagle's algorithm on, a kept-alive
    # connection would hold the body back until the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        body = environ["wsgi.input"].read() if environ.get("wsgi.input_terminated") else self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        # werkzeug drains self.rfile after the response; the body is read, so let it drain nothing
        # (run_wsgi puts the socket reader back for the next request).
        self.rfile = _Drained()  # type: ignore[assignment]
        return environ

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.close_connection = True  # unknown framing: this connection cannot be reused
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def run_wsgi(self) -> None:
        socket_reader = self.rfile
        try:
            super().run_wsgi()
        finally:
            self.rfile = socket_reader

    def send_header(self, keyword: str, value: str) -> None:
        if self.keep_alive and keyword.lower() == "connection" and value.lower() == "close":
            return  # werkzeug's unconditional close; http.server keeps the request's own choice
        super().send_header(keyword, value)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per AWS call drowns the server log (and costs time under load)
