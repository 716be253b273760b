"""The zygote: ``python -m local_cloud.awslambda.zygote CONTROL_FD``, one per worker pool.

It imports the libraries every handler imports (botocore, boto3, pydantic, powertools) once, then forks a worker
for each cold start the pool asks for: the child starts with those modules loaded, becomes the function's
execution environment (its variables, its code as cwd and first on ``sys.path``, stdout and stderr into its log)
and runs the worker's loop (worker.py), which imports the handler: the handler's own module-level code still runs
at each cold start. What the pool sends and hears on the control socket (SOCK_SEQPACKET: one message each):

- pool → zygote: ``{"id", "env", "cwd", "log_path"}`` with the fds (request pipe, response pipe, log file);
- zygote → pool: ``{"id", "pid"}`` once forked, ``{"exited": pid, "code": n}`` when a worker ends (a negative
  code is the signal that ended it, as subprocess reports it).

The zygote exits when the pool's end of the socket closes; its workers then see their parent change and exit.
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import select
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from local_cloud.awslambda import shared_loader, worker

# Imported once here, shared by every worker (copy-on-write). None of them reads, at import, a variable that a
# function could set differently from the zygote's environment (preloaded_spawn.py checks the one that does).
PRELOADED = (
    "botocore.session",
    "botocore.client",
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.serialize",
    "botocore.auth",
    "botocore.httpsession",
    "boto3",
    "boto3.session",
    "boto3.dynamodb.conditions",
    "boto3.dynamodb.types",
    "pydantic",
    "aws_lambda_powertools",
    "aws_lambda_powertools.utilities.typing",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.event_handler",
)
_INFRA_DIR = str(Path(__file__).resolve().parents[2])
_MESSAGE_BYTES = 1 << 20  # a function's variables are at most 4 KB on AWS; the rest is small


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[0]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the pool decides
    for name in PRELOADED:
        importlib.import_module(name)
    # The botocore files a handler's first clients read, parsed once here (a cold start's clients: 130-170 ms of
    # CPU down to about 30).
    shared_loader.install()
    shared_loader.read_models()
    # What is loaded so far stays for the zygote's life: out of the collector's sight, a child's collections do not
    # walk it (nor touch its pages, which copy-on-write would then copy).
    gc.freeze()
    # A fresh worker's paths after its own first entries (its cwd and PYTHONPATH, the code and infra/): the
    # interpreter's (standard library, site-packages and what their .pth files add).
    base_path = [path for path in sys.path[1:] if os.path.realpath(path) != _INFRA_DIR]
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the select below
    control.send(json.dumps({"ready": True, "packages": _site_packages()}).encode())
    live: set[int] = set()
    while True:
        try:
            readable, _, _ = select.select([control.fileno(), wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in readable:
            os.read(wake_r, 4096)
        _report_exits(control, live)
        if control.fileno() not in readable:
            continue
        message, fds, _, _ = socket.recv_fds(control, _MESSAGE_BYTES, 3)
        if not message:
            return 0  # the pool closed: its workers follow on their own (worker.py watches its parent)
        request = json.loads(message)
        if "signal" in request:
            if request["pid"] in live:  # not reaped yet, so the pid is still this worker's
                os.kill(request["pid"], request["signal"])
            continue
        pid = os.fork()
        if pid == 0:
            _become_worker(request, fds, base_path, closing=(control.fileno(), wake_r, wake_w))
        live.add(pid)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"id": request["id"], "pid": pid}).encode())


def _report_exits(control: socket.socket, live: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        live.discard(pid)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        control.send(json.dumps({"exited": pid, "code": code}).encode())


def _site_packages() -> list[str]:
    """The top-level names of the libraries loaded here: a function that ships its own copy of one of them is not
    served from here (it must run its copy)."""
    interpreter = os.path.realpath(sys.base_prefix) + os.sep
    names = set()
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if "." not in name and origin and not os.path.realpath(origin).startswith((interpreter, _INFRA_DIR)):
            names.add(name)
    return sorted(names)


def _become_worker(request: dict[str, Any], fds: list[int], base_path: list[str], closing: tuple[int, ...]) -> None:
    """In the forked child: become the function's environment, as a fresh `python -m local_cloud.awslambda.worker`
    started by the pool would be, then serve. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in closing:
            os.close(fd)
        req_r, resp_w, log_fd = fds
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        # Unbuffered, as PYTHONUNBUFFERED makes them: each call's output is in the log file when it answers.
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True)
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        os.chdir(request["cwd"])
        sys.path[:] = [request["cwd"], *base_path]  # the deployed code first, so it is what runs
        code = worker.main([str(req_r), str(resp_w), request["log_path"]])
    except BaseException:  # whatever happens, the child must not return into the zygote's loop
        traceback.print_exc()
    finally:
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
