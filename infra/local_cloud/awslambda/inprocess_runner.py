"""Runs Lambda handlers inside the calling process: the seam for pytest suites under ``moto.mock_aws``.

The handler's boto3 calls then reach moto's in-process mocks. Differences from a real Lambda
(and from WorkerPoolRunner), by design:
- one call at a time (environment variables are process-global), re-entrant for nested invokes;
- the function timeout is not enforced (a thread cannot be killed);
- a package the process has already imported from elsewhere (e.g. ``functions/`` on the test
  PYTHONPATH) is the one that runs, as Python's import system dictates, so tests can patch it;
- parameters fetched through powertools are not cached from one call to the next (in Lambda each
  function caches in its own process; here one function's cache would spare another its IAM check),
  but each function keeps its providers, and so their boto3 clients, as a warm Lambda process does;
- output is captured when written through ``sys.stdout``/``sys.stderr`` (print, logging handlers
  created during the call); output written straight to file descriptors 1/2 is not.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, TextIO, cast

from local_cloud.awslambda.code_store import CodeStore
from local_cloud.awslambda.handler_call import Handler, HandlerLoadError, LambdaContext, call_handler, load_handler
from local_cloud.awslambda.invocation_credentials import acting_as
from local_cloud.awslambda.types import FunctionSpec, InvokeResult, exit_error, reserved_variables


class InProcessRunner:
    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._lock = threading.RLock()  # re-entrant: a handler may invoke another function
        self._code = CodeStore()
        self._handlers: dict[tuple[Path, str], Handler] = {}
        self._worker_id = f"inprocess-{os.getpid()}"
        self._parameter_providers: dict[tuple[str, ...], dict[str, Any]] = {}

    def invoke(self, spec: FunctionSpec, event_json: str) -> InvokeResult:
        request_id = str(uuid.uuid4())
        with (
            self._lock,
            _CapturedOutput() as output,
            _Environment(self._variables(spec)),
            acting_as(spec.credentials) if spec.credentials else contextlib.nullcontext(),
            _OwnParameterCache(self._providers_of(spec)),
        ):
            started = time.perf_counter()
            try:
                handler, cold = self._handler(spec)
            except HandlerLoadError as exc:
                return InvokeResult(
                    exc.payload, True, "".join(output), request_id, _ms_since(started), None, self._worker_id
                )
            init_ms = _ms_since(started) if cold else None
            context = LambdaContext(
                function_name=spec.function_name,
                function_version=spec.version,
                invoked_function_arn=spec.arn,
                memory_limit_in_mb=spec.memory_mb,
                aws_request_id=request_id,
                log_group_name=f"/aws/lambda/{spec.function_name}",
                log_stream_name=self._worker_id,
                timeout_seconds=spec.timeout_seconds,
            )
            started = time.perf_counter()
            try:
                payload, errored = call_handler(handler, event_json, context)
            except SystemExit as exc:  # on AWS the runtime process exits; here the caller lives on
                payload, errored = exit_error(request_id, f"exit status {exc.code}"), True
            return InvokeResult(
                payload, errored, "".join(output), request_id, _ms_since(started), init_ms, self._worker_id
            )

    def close(self) -> None:
        with self._lock:
            root = str(self._code.root)
            while root in sys.path or any(p.startswith(root + os.sep) for p in sys.path):
                sys.path[:] = [p for p in sys.path if p != root and not p.startswith(root + os.sep)]
            for name, module in list(sys.modules.items()):  # a later runner must import its own copy
                origin = _module_dir(module)
                if origin is not None and origin.is_relative_to(self._code.root):
                    del sys.modules[name]
            self._handlers.clear()
            self._parameter_providers.clear()
            self._code.close()

    def _providers_of(self, spec: FunctionSpec) -> dict[str, Any]:
        """The powertools parameter providers of this function (for these credentials), kept between its calls."""
        key = (spec.function_name, spec.region, self.endpoint_url or "", spec.credentials.get("AWS_ACCESS_KEY_ID", ""))
        return self._parameter_providers.setdefault(key, {})

    def _handler(self, spec: FunctionSpec) -> tuple[Handler, bool]:
        """The handler function, and whether this call loaded it (a cold start)."""
        code_dir = self._code.ensure(spec.code_sha, spec.code_bytes)
        key = (code_dir, spec.handler)
        handler = self._handlers.get(key)
        if handler is not None:
            return handler, False
        if str(code_dir) not in sys.path:
            sys.path.insert(0, str(code_dir))
        self._forget_other_versions(spec.handler, code_dir)
        handler = self._handlers[key] = load_handler(spec.handler)
        return handler, True

    def _forget_other_versions(self, handler: str, code_dir: Path) -> None:
        """If this package was imported from another code version we unpacked, drop it from sys.modules
        so the import finds this version. Handlers already loaded keep their own module objects."""
        top = handler.replace("/", ".").split(".", 1)[0]
        module = sys.modules.get(top)
        origin = _module_dir(module) if module is not None else None
        if origin is None or origin.is_relative_to(code_dir) or not origin.is_relative_to(self._code.root):
            return
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]

    def _variables(self, spec: FunctionSpec) -> dict[str, str]:
        variables = {"AWS_SAM_LOCAL": "true", **spec.environment, **reserved_variables(spec, "in-process")}
        if self.endpoint_url:  # under mock_aws no endpoint: boto3 must keep aiming at AWS's hosts
            variables.update(
                {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
            )
        variables.update(spec.credentials)  # the role's; clients already cached sign with them through acting_as
        return variables


class _Environment:
    """Apply variables to os.environ for the duration of a call, then restore what was there."""

    def __init__(self, variables: dict[str, str]) -> None:
        self._variables = variables
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for name, value in self._variables.items():
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value

    def __exit__(self, *exc: object) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _OwnParameterCache:
    """powertools keeps the parameters it fetched (the fault plan) in one process-wide dict of providers. On
    Lambda each function has a process of its own; here, where all share one, each call gets its function's own
    providers (and the caller's are put back after), so that one function's cached read never spares another
    its own read, and the IAM check on it. A call reads its parameters afresh (each provider's cache is emptied
    first): it cannot see a stale plan. The providers themselves are kept from one call of the function to the
    next, as in a warm Lambda process: a new one builds a boto3 session and client, which loads botocore's
    endpoint and service models from disk (tens of milliseconds, more than the rest of a step's call)."""

    def __init__(self, kept: dict[str, Any]) -> None:
        self._kept = kept
        self._providers: dict[str, Any] | None = None
        self._outer: dict[str, Any] = {}

    def __enter__(self) -> None:
        try:
            from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
        except ImportError:  # a handler package without powertools: nothing to keep apart
            return
        self._providers = DEFAULT_PROVIDERS
        self._outer = dict(DEFAULT_PROVIDERS)
        DEFAULT_PROVIDERS.clear()
        for provider in self._kept.values():
            provider.clear_cache()
        DEFAULT_PROVIDERS.update(self._kept)

    def __exit__(self, *exc: object) -> None:
        if self._providers is not None:
            self._kept.clear()
            self._kept.update(self._providers)
            self._providers.clear()
            self._providers.update(self._outer)


class _Tee:
    """Stands in for sys.stdout/sys.stderr during a call: copies writes into the active capture and
    passes them on. Objects that keep a reference to it after the call (a logging handler created
    at import time) still work: it then forwards to whatever the stream currently is."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.outer: TextIO = getattr(sys, name)
        self.capture: list[str] | None = None

    def _target(self) -> TextIO:
        current = cast(TextIO, getattr(sys, self._name))
        return self.outer if current is cast(Any, self) else current

    def write(self, text: str) -> int:
        if self.capture is not None:
            self.capture.append(text)
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


_tees: dict[str, _Tee] = {}


class _CapturedOutput:
    def __enter__(self) -> list[str]:
        self._output: list[str] = []
        self._saved: list[tuple[_Tee, list[str] | None, TextIO]] = []
        for name in ("stdout", "stderr"):
            tee = _tees.get(name)
            if tee is None:
                tee = _tees[name] = _Tee(name)
            current = cast(TextIO, getattr(sys, name))
            self._saved.append((tee, tee.capture, current))
            if current is not cast(Any, tee):
                tee.outer = current
            tee.capture = self._output
            setattr(sys, name, tee)
        return self._output

    def __exit__(self, *exc: object) -> None:
        for (tee, capture, current), name in zip(self._saved, ("stdout", "stderr"), strict=True):
            tee.capture = capture
            setattr(sys, name, current)


def _module_dir(module: Any) -> Path | None:
    location = getattr(module, "__file__", None)
    return Path(location).resolve().parent if location else None


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
