"""The pool's side of the zygote (zygote.py): start it, ask it for workers, and see them as subprocess sees its
children (pid, poll, wait, kill), so that the pool treats a forked worker and a spawned one alike.

A cold start forked from the zygote skips the interpreter's start and the libraries' imports (about 60 % of a
step function's cold start here); the handler's module still runs in full. The pool falls back to a fresh
interpreter (``spawn_fresh``) where the two could differ: a package that brings its own copy of a preloaded library,
a variable read at import that the function sets otherwise, or ``LOCAL_CLOUD_PRELOAD=0``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_READY_TIMEOUT_SECONDS = 60.0
# Read by a preloaded library when it is imported (powertools: its user agent, its cold-start kind, its debug
# logging): a function whose value differs from the zygote's gets a fresh interpreter.
READ_AT_IMPORT = ("AWS_EXECUTION_ENV", "AWS_LAMBDA_INITIALIZATION_TYPE", "POWERTOOLS_DEBUG")


class ZygoteGone(RuntimeError):
    """The zygote exited or could not start: the pool spawns fresh interpreters instead."""


def preload_enabled() -> bool:
    return os.environ.get("LOCAL_CLOUD_PRELOAD", "1") != "0"


class Zygote:
    def __init__(self, environment: Mapping[str, str], work_dir: Path) -> None:
        self.environment = dict(environment)
        pool_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._socket = pool_end
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "local_cloud.awslambda.zygote", str(zygote_end.fileno())],
            cwd=work_dir,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            pass_fds=(zygote_end.fileno(),),
        )
        zygote_end.close()
        self._cond = threading.Condition()
        self._forked: dict[int, int] = {}  # request id -> pid
        self._exits: dict[int, int] = {}  # pid -> exit code (negative: the signal)
        self._gone = False
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        pool_end.settimeout(_READY_TIMEOUT_SECONDS)
        try:
            ready = json.loads(pool_end.recv(1 << 16) or b"{}")
        except (OSError, ValueError) as exc:
            self.close()
            raise ZygoteGone(f"the zygote did not start: {exc}") from exc
        if not ready.get("ready"):
            self.close()
            raise ZygoteGone(f"the zygote did not start (exit status {self._proc.poll()})")
        self.preloaded: frozenset[str] = frozenset(ready.get("packages", ()))
        pool_end.settimeout(None)
        threading.Thread(target=self._listen, name="zygote-listener", daemon=True).start()

    def serves(self, environment: Mapping[str, str], code_dir: Path) -> bool:
        """Whether a worker forked from here is the one a fresh interpreter would be, for this function."""
        if self._gone or any(environment.get(name) != self.environment.get(name) for name in READ_AT_IMPORT):
            return False
        return not any((code_dir / name).exists() or (code_dir / f"{name}.py").exists() for name in self.preloaded)

    def spawn(self, environment: Mapping[str, str], code_dir: Path, log_path: Path, fds: Sequence[int]) -> ForkedWorker:
        """A worker forked with `fds` (request pipe, response pipe, log file), which the caller still closes."""
        request_id = next(self._ids)
        message = {"id": request_id, "env": dict(environment), "cwd": str(code_dir), "log_path": str(log_path)}
        try:
            with self._send_lock:
                socket.send_fds(self._socket, [json.dumps(message).encode()], list(fds))
        except OSError as exc:
            raise ZygoteGone(f"the zygote is gone: {exc}") from exc
        with self._cond:
            self._cond.wait_for(lambda: request_id in self._forked or self._gone, _READY_TIMEOUT_SECONDS)
            pid = self._forked.pop(request_id, None)
        if pid is None:
            raise ZygoteGone("the zygote did not fork the worker")
        return ForkedWorker(pid, self)

    def exit_code(self, pid: int, timeout: float | None = 0.0) -> int | None:
        """None while the worker runs. Once the zygote is gone its workers end on their own (they watch their
        parent) and their codes are lost: they count as killed."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self._gone, timeout)
            return self._exits.get(pid, -signal.SIGKILL if self._gone else None)

    def signal(self, pid: int, signum: int) -> None:
        """Through the zygote, which reaps its children: it never signals a pid reused by another process."""
        try:
            with self._send_lock:
                self._socket.send(json.dumps({"signal": signum, "pid": pid}).encode())
        except OSError:
            pass  # gone: its workers exit on their own

    def close(self) -> None:
        # Shut down, not only closed: the listener thread's recv holds the socket open until it returns, and
        # shutting it down ends that recv and gives the zygote its EOF, on which it exits.
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    @property
    def returncode(self) -> int | None:
        """The zygote's own exit status once it ended (0: it exited on the pool's EOF, as it should)."""
        return self._proc.poll()

    def _listen(self) -> None:
        while True:
            try:
                data = self._socket.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self._gone = True
                    self._cond.notify_all()
                return
            message: dict[str, Any] = json.loads(data)
            with self._cond:
                if "exited" in message:
                    self._exits[int(message["exited"])] = int(message["code"])
                else:
                    self._forked[int(message["id"])] = int(message["pid"])
                self._cond.notify_all()


class ForkedWorker:
    """What the pool uses of subprocess.Popen, for a worker the zygote forked."""

    def __init__(self, pid: int, zygote: Zygote) -> None:
        self.pid = pid
        self._zygote = zygote

    def poll(self) -> int | None:
        return self._zygote.exit_code(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        code = self._zygote.exit_code(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
        return code

    def send_signal(self, signum: int) -> None:
        self._zygote.signal(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
