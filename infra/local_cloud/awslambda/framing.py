"""The worker protocol's framing: one message = 8-byte header (two big-endian lengths) + meta JSON + body.

It runs over a pair of dedicated pipes, never over stdout/stderr, so whatever a handler
prints can never be mistaken for a protocol message. Stdlib only.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">II")


class PeerClosed(Exception):
    """The other end closed its pipe: the worker (or its parent) is gone."""


def write_message(fd: int, meta: dict[str, Any], body: bytes = b"") -> None:
    meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
    data = memoryview(_HEADER.pack(len(meta_bytes), len(body)) + meta_bytes + body)
    while data:  # one write for small messages; a loop for those larger than the pipe buffer
        try:
            written = os.write(fd, data)
        except BrokenPipeError as exc:
            raise PeerClosed from exc
        data = data[written:]


def read_message(fd: int, timeout: float | None = None) -> tuple[dict[str, Any], bytes] | None:
    """Read one message; None when ``timeout`` seconds pass first. Raises PeerClosed on EOF."""
    deadline = None if timeout is None else time.monotonic() + timeout
    header = _read_exactly(fd, _HEADER.size, deadline)
    if header is None:
        return None
    meta_len, body_len = _HEADER.unpack(header)
    rest = _read_exactly(fd, meta_len + body_len, deadline)
    if rest is None:
        return None
    return json.loads(rest[:meta_len]), rest[meta_len:]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    poller = None
    while remaining:
        if deadline is not None:
            if poller is None:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
            wait_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if not poller.poll(wait_ms):
                return None
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise PeerClosed
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
