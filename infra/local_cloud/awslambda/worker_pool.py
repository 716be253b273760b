"""Runs Lambda handlers in warm worker processes, as Lambda reuses execution environments.

Per function: the first call spawns a worker (cold start: interpreter + handler import); later
calls reuse an idle one; when all are busy another is spawned, up to ``max_workers_per_function``,
then callers wait. A call past the function's timeout kills its worker. New code or configuration
for a function retires its workers. A warm call costs one pipe round trip, no spawn, no import.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from local_cloud.awslambda.code_store import CodeStore
from local_cloud.awslambda.framing import PeerClosed, read_message, write_message
from local_cloud.awslambda.preloaded_spawn import ForkedWorker, Zygote, ZygoteGone, preload_enabled
from local_cloud.awslambda.types import (
    FunctionSpec,
    InvokeResult,
    error_payload,
    exit_error,
    reserved_variables,
    timeout_error,
)

_INFRA_DIR = str(Path(__file__).resolve().parents[2])
# The init phase (interpreter start + handler import) has a limit of its own, not the handler's timeout.
# AWS allows 10 s; here it is more generous, because many workers starting at once on a small machine
# (a burst of concurrent sagas) share its CPUs and each imports boto3, pydantic, powertools.
_INIT_TIMEOUT_SECONDS = float(os.environ.get("LOCAL_CLOUD_INIT_TIMEOUT", "60"))
# Variables of the server's environment a worker inherits; everything else comes from the function.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(eq=False)
class _Worker:
    proc: subprocess.Popen[bytes] | ForkedWorker
    req_fd: int  # we write requests here
    resp_fd: int  # we read responses here
    log_path: Path
    function_name: str
    config_key: tuple[object, ...]
    worker_id: str
    init_ms: float | None = None
    _dead: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def kill(self) -> None:
        """Idempotent: the fds are closed exactly once (a second close could hit a reused fd number)."""
        with self._lock:
            if self._dead:
                return
            self._dead = True
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            os.close(self.req_fd)
            os.close(self.resp_fd)
            self.log_path.unlink(missing_ok=True)


@dataclass(eq=False)
class _Pool:
    """The workers of one function name. Guarded by ``cond``."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    config_key: tuple[object, ...] | None = None
    idle: list[_Worker] = field(default_factory=list)
    live: int = 0  # idle + busy


class WorkerPoolRunner:
    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        max_workers_per_function: int = 8,
        work_dir: Path | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.max_workers_per_function = max_workers_per_function
        self._dir = Path(tempfile.mkdtemp(prefix="local-cloud-lambda-", dir=work_dir))
        self._code = CodeStore(self._dir / "code")
        self._pools: dict[str, _Pool] = {}
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()  # guards _pools, _all, _closed
        self._closed = False
        self._ids = itertools.count(1)
        self._zygote: Zygote | None = None
        self._zygote_tried = False  # started once, on the first cold start; never again if it failed
        self._zygote_lock = threading.Lock()
        # No orphans when the interpreter exits without close(); workers also exit on their own
        # when the parent dies (see worker.py).
        atexit.register(_close_if_alive, weakref.ref(self))

    # -- public API -------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, event_json: str) -> InvokeResult:
        request_id = str(uuid.uuid4())
        pool = self._pool(spec.function_name)
        key = spec.config_key()
        worker, stale = self._acquire(pool, key)
        if stale:
            with self._lock:
                self._all.difference_update(stale)
            _kill_all(stale)
        cold = worker is None
        if worker is None:  # cold start
            started = time.perf_counter()
            try:
                worker = self._spawn(spec, key)
                init_error = self._await_ready(worker)
                worker.init_ms = _ms_since(started)  # spawn + interpreter start + handler import
            except BaseException:
                self._give_back(pool, worker, reusable=False)
                raise
            if init_error is not None:
                logs = _read_log(worker.log_path)
                self._give_back(pool, worker, reusable=False)
                return InvokeResult(init_error, True, logs, request_id, _ms_since(started), None, worker.worker_id)
        healthy = False
        try:
            result, healthy = self._call(worker, spec, event_json, request_id)
            if cold:
                result.init_duration_ms = worker.init_ms
            return result
        finally:
            self._give_back(pool, worker, reusable=healthy)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
            everyone = set(self._all)
            self._all.clear()
            self._pools.clear()
        idle: list[_Worker] = []
        for pool in pools:
            with pool.cond:
                idle += pool.idle
                pool.idle = []
                pool.cond.notify_all()
        _kill_all(idle)
        # A busy worker's fds belong to the thread in its call: only signal it; that thread then
        # sees EOF, returns Runtime.ExitError and closes them (closing them here could race it).
        for worker in everyone.difference(idle):
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGKILL)
        if self._zygote is not None:
            self._zygote.close()
        self._code.close()
        _rmtree(self._dir)

    def worker_pids(self, function_name: str | None = None) -> list[int]:
        """Live worker processes (for tests and diagnostics)."""
        with self._lock:
            return [w.proc.pid for w in self._all if function_name in (None, w.function_name)]

    # -- pool bookkeeping -------------------------------------------------------------------

    def _pool(self, function_name: str) -> _Pool:
        with self._lock:
            if self._closed:
                raise RuntimeError("WorkerPoolRunner is closed")
            return self._pools.setdefault(function_name, _Pool())

    def _acquire(self, pool: _Pool, key: tuple[object, ...]) -> tuple[_Worker | None, list[_Worker]]:
        """An idle worker of this configuration, or None with a reserved slot to spawn one.
        Also returns the idle workers of an older configuration, to be killed outside the lock."""
        stale: list[_Worker] = []
        with pool.cond:
            while True:
                if self._closed:
                    raise RuntimeError("WorkerPoolRunner is closed")
                if pool.config_key != key:  # re-deployed (checked on every wake-up, too)
                    stale += pool.idle
                    pool.live -= len(pool.idle)
                    pool.idle = []
                    pool.config_key = key
                    pool.cond.notify_all()
                if pool.idle:
                    return pool.idle.pop(), stale  # LIFO: the warmest worker, as few as possible stay busy
                if pool.live < self.max_workers_per_function:
                    pool.live += 1
                    return None, stale
                pool.cond.wait()

    def _give_back(self, pool: _Pool, worker: _Worker | None, *, reusable: bool) -> None:
        with pool.cond:
            keep = reusable and worker is not None and worker.config_key == pool.config_key and not self._closed
            if keep:
                assert worker is not None
                pool.idle.append(worker)
            else:
                pool.live -= 1
            pool.cond.notify()
        if not keep and worker is not None:
            with self._lock:
                self._all.discard(worker)
            worker.kill()

    # -- one worker -------------------------------------------------------------------------

    def _spawn(self, spec: FunctionSpec, key: tuple[object, ...]) -> _Worker:
        code_dir = self._code.ensure(spec.code_sha, spec.code_bytes)
        worker_id = f"{spec.function_name}-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        log_path = self._dir / f"{worker_id}.log"
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        environment = self._environment(spec, code_dir, worker_id)
        try:
            with open(log_path, "ab") as log:  # O_APPEND: the worker truncates it after each call
                proc: subprocess.Popen[bytes] | ForkedWorker | None = self._forked(
                    environment, code_dir, log_path, (req_r, resp_w, log.fileno())
                )
                if proc is None:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "local_cloud.awslambda.worker", str(req_r), str(resp_w), str(log_path)],
                        cwd=code_dir,
                        env=environment,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        pass_fds=(req_r, resp_w),
                    )
        except BaseException:
            for fd in (req_r, req_w, resp_r, resp_w):
                os.close(fd)
            raise
        os.close(req_r)
        os.close(resp_w)
        worker = _Worker(proc, req_w, resp_r, log_path, spec.function_name, key, worker_id)
        with self._lock:
            closed = self._closed
            self._all.add(worker)
        if closed:
            worker.kill()
            raise RuntimeError("WorkerPoolRunner is closed")
        return worker

    def _forked(
        self, environment: dict[str, str], code_dir: Path, log_path: Path, fds: tuple[int, int, int]
    ) -> ForkedWorker | None:
        """A worker forked from the zygote, or None where a fresh interpreter must run it (preloaded_spawn.py)."""
        with self._zygote_lock:
            if not self._zygote_tried and preload_enabled():
                self._zygote_tried = True
                zygote_environment = {**_base_environment(), "PYTHONPATH": _INFRA_DIR, "PYTHONUNBUFFERED": "1"}
                zygote_environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
                try:
                    self._zygote = Zygote(zygote_environment, self._dir)
                except ZygoteGone:
                    self._zygote = None
            zygote = self._zygote
        if zygote is None or not zygote.serves(environment, code_dir):
            return None
        try:
            return zygote.spawn(environment, code_dir, log_path, fds)
        except ZygoteGone:
            return None

    def _environment(self, spec: FunctionSpec, code_dir: Path, worker_id: str) -> dict[str, str]:
        env = _base_environment()
        env.update(spec.environment)
        env.update(reserved_variables(spec, worker_id))
        env.update(
            {
                "LAMBDA_TASK_ROOT": str(code_dir),
                "LAMBDA_RUNTIME_DIR": _INFRA_DIR,
                # The deployed code first, so it is what runs; local_cloud's own dir last, for the
                # worker module only (the worker drops it from sys.path before importing the handler).
                "PYTHONPATH": os.pathsep.join([str(code_dir), _INFRA_DIR]),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        # The role's credentials, renewed in each call's message; without a role (a runner used on its own,
        # with no IAM behind it) the local cloud's administrator key.
        env.update(spec.credentials or {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env

    def _await_ready(self, worker: _Worker) -> str | None:
        """Wait for the worker's INIT; returns Lambda's error payload if the handler could not load."""
        try:
            message = read_message(worker.resp_fd, _INIT_TIMEOUT_SECONDS)
        except PeerClosed:
            return exit_error("", _exit_status(worker.proc))
        if message is None:
            return error_payload("Runtime.InitError", f"Init timed out after {_INIT_TIMEOUT_SECONDS:.0f} seconds")
        meta, body = message
        return None if meta.get("ready") else body.decode()

    def _call(self, worker: _Worker, spec: FunctionSpec, event_json: str, request_id: str) -> tuple[InvokeResult, bool]:
        """One invocation on a ready worker: (result, whether the worker can be reused)."""
        meta = {
            "rid": request_id,
            "arn": spec.arn,
            "timeout": spec.timeout_seconds,
            "trace": _trace_id(),
            "credentials": dict(spec.credentials),
        }
        started = time.perf_counter()
        try:
            write_message(worker.req_fd, meta, event_json.encode())
            message = read_message(worker.resp_fd, spec.timeout_seconds)
        except PeerClosed:
            payload = exit_error(request_id, _exit_status(worker.proc))
        else:
            if message is not None:
                reply, body = message
                result = InvokeResult(
                    body.decode(),
                    bool(reply["errored"]),
                    reply["logs"],
                    request_id,
                    float(reply["duration_ms"]),
                    None,
                    worker.worker_id,
                )
                return result, True
            worker.proc.kill()  # timed out: the environment is discarded, as Lambda does
            payload = timeout_error(request_id, spec.timeout_seconds)
        logs = _read_log(worker.log_path)
        return InvokeResult(payload, True, logs, request_id, _ms_since(started), None, worker.worker_id), False


def _base_environment() -> dict[str, str]:
    """What every execution environment starts from, before the function's own variables: the few host variables
    it inherits, and defaults. AWS_SAM_LOCAL makes powertools' Tracer stand down (no X-Ray daemon here), exactly as
    under `sam local invoke`."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        {
            "TZ": ":UTC",
            "LANG": env.get("LANG", "C.UTF-8"),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_SAM_LOCAL": "true",
        }
    )
    return env


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:  # signal all first, then reap: no waiting on each in turn
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGKILL)
    for worker in workers:
        worker.kill()


def _close_if_alive(ref: weakref.ref[WorkerPoolRunner]) -> None:
    runner = ref()
    if runner is not None:
        runner.close()


def _exit_status(proc: subprocess.Popen[bytes] | ForkedWorker) -> str:
    try:
        code = proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "unknown"
    return f"signal: {signal.Signals(-code).name.lower().removeprefix('sig')}" if code < 0 else f"exit status {code}"


def _read_log(path: Path) -> str:
    try:
        return path.read_text("utf-8", "replace")
    except OSError:
        return ""


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
