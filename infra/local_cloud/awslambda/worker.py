"""One Lambda execution environment: ``python -m local_cloud.awslambda.worker REQ_FD RESP_FD LOG_PATH``.

Started by WorkerPoolRunner with the function's environment, the unpacked code as cwd and first
on PYTHONPATH, and stdout+stderr redirected to LOG_PATH. It imports the handler once (the cold
start's INIT), reports ready, then serves invocations one at a time over the two pipes until the
request pipe closes. What the handler prints goes to LOG_PATH; after each call the worker sends
that call's part back with the result and truncates the file.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from local_cloud.awslambda.framing import PeerClosed, read_message, write_message
from local_cloud.awslambda.handler_call import HandlerLoadError, LambdaContext, call_handler, load_handler

_INFRA_DIR = str(Path(__file__).resolve().parents[2])


def main(argv: list[str]) -> int:
    req_fd, resp_fd, log_path = int(argv[0]), int(argv[1]), argv[2]
    # The handler's imports must resolve against the deployed code, not against this project's infra/.
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _INFRA_DIR]
    # Ctrl-C in a terminal reaches the whole process group: let the server decide when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    logs = _LogFile(log_path)

    started = time.perf_counter()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except HandlerLoadError as exc:
        print(f"[ERROR] init failed: {exc.payload}", flush=True)
        write_message(resp_fd, {"ready": False, "init_ms": _ms_since(started)}, exc.payload.encode())
        return 1
    write_message(resp_fd, {"ready": True, "init_ms": _ms_since(started)})

    env = os.environ
    while True:
        try:
            message = read_message(req_fd)
        except PeerClosed:
            return 0  # the runner retired this worker, or the server is gone
        assert message is not None  # no timeout given
        meta, event = message
        env["_X_AMZN_TRACE_ID"] = meta["trace"]
        # Renewed role credentials: botocore re-reads them from here before the old ones expire.
        env.update(meta.get("credentials") or {})
        context = LambdaContext(
            function_name=env["AWS_LAMBDA_FUNCTION_NAME"],
            function_version=env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            invoked_function_arn=meta["arn"],
            memory_limit_in_mb=int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")),
            aws_request_id=meta["rid"],
            log_group_name=env.get("AWS_LAMBDA_LOG_GROUP_NAME", ""),
            log_stream_name=env.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
            timeout_seconds=float(meta["timeout"]),
        )
        started = time.perf_counter()
        payload, errored = call_handler(handler, event.decode("utf-8", "replace"), context)
        duration_ms = _ms_since(started)
        try:
            write_message(
                resp_fd,
                {"errored": errored, "duration_ms": duration_ms, "logs": logs.take()},
                payload.encode(),
            )
        except PeerClosed:
            return 0


class _LogFile:
    """stdout and stderr (fds 1 and 2) share one O_APPEND file; ``take`` returns and clears it."""

    def __init__(self, path: str) -> None:
        self._reader = os.open(path, os.O_RDONLY)

    def take(self) -> str:
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(1).st_size
        if not size:
            return ""
        data = os.pread(self._reader, size, 0)
        os.ftruncate(1, 0)  # O_APPEND: the next write lands at the new end, offset 0
        return data.decode("utf-8", "replace")


def _exit_with_parent() -> None:
    """A worker busy in a handler would not notice its pipes closing: watch the parent too."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
