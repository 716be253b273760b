"""The local cloud server: moto's WSGI app behind the API Gateway middleware and the saga console's
(``/_console/``), with the Lambda runner and moto patches installed, served by werkzeug's threaded server.

In-process use (tests)::

    with LocalCloud() as cloud:          # a free port on 127.0.0.1
        boto3.client("lambda", endpoint_url=cloud.endpoint_url, ...)

It serves LocalStack's account (000000000000) and only this machine: see ``guard``.

moto's state is process-global: one LocalCloud per process at a time, and do not run ``mock_aws``
tests in the same process while it is up (``mock_aws`` resets the same backends).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from local_cloud.account import serve_account
from local_cloud.apigateway.rest_api import ApiGatewayMiddleware
from local_cloud.awslambda.types import LambdaRunner
from local_cloud.awslambda.worker_pool import WorkerPoolRunner
from local_cloud.cloudwatch.alarms import install_alarm_evaluator
from local_cloud.console.app import ConsoleMiddleware
from local_cloud.console.cloud_reader import CloudReader
from local_cloud.events.event_sources import EventSourcePollers
from local_cloud.events.schedules import ScheduleRunner
from local_cloud.guard import GuardSettings, LocalOnlyGuard, disable_moto_global_cors
from local_cloud.http_handler import KeepAliveRequestHandler
from local_cloud.iam.enforcement import enforcement_stats
from local_cloud.iam.role_credentials import RoleCredentials
from local_cloud.netutil import PortInUseError, bind_listener, endpoint_url, port_in_use_message
from local_cloud.patches import install_all
from local_cloud.retention import RetentionSweeper
from local_cloud.seams import Installation
from local_cloud.stored import stored_bytes
from local_cloud.usage_meter import USAGE

_active_lock = threading.Lock()
_active: LocalCloud | None = None


class LocalCloud:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        runner: LambdaRunner | None = None,
        max_workers_per_function: int = 8,
        log_requests: bool = False,
        roles: RoleCredentials | None = None,
        guard: GuardSettings | None = None,
    ) -> None:
        self.host = host
        self.port = port  # 0: a free port, known after start()
        self._runner = runner
        self._owns_runner = runner is None
        self._max_workers = max_workers_per_function
        self._log_requests = log_requests
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._patches: Installation | None = None
        self._background: list[EventSourcePollers | ScheduleRunner | RetentionSweeper] = []
        # Temporary credentials of the functions' and state machines' execution roles.
        self.roles = roles or RoleCredentials()
        # Who besides this machine's programs may drive it: LOCAL_CLOUD_MOTO_API, LOCAL_CLOUD_ALLOWED_PEERS.
        self.guard = LocalOnlyGuard(_unstarted, guard or GuardSettings.from_environment())

    @property
    def endpoint_url(self) -> str:
        return endpoint_url(self.host, self.port)

    @property
    def runner(self) -> LambdaRunner:
        if self._runner is None:
            raise RuntimeError("LocalCloud is not started")
        return self._runner

    def start(self) -> LocalCloud:
        """Bind, patch moto, serve in a background thread. Raises PortInUseError."""
        global _active
        retention = RetentionSweeper()  # a bad LOCAL_CLOUD_RETENTION_SECONDS stops the start before anything binds
        with _active_lock:
            if _active is not None:
                raise RuntimeError(f"a LocalCloud is already running in this process at {_active.endpoint_url}")
            sock = bind_listener(self.host, self.port)
            _active = self
        try:
            self.port = int(sock.getsockname()[1])
            if self._runner is None:
                self._runner = WorkerPoolRunner(self.endpoint_url, max_workers_per_function=self._max_workers)
            undo: list[Callable[[], None]] = []
            self._patches = Installation(undo)  # filled as each part installs: a failure undoes the others
            runner = self.runner
            for install in (
                serve_account,
                disable_moto_global_cors,
                lambda: install_all(runner, self.endpoint_url, self.port, self.roles),
                install_alarm_evaluator,
            ):
                undo.append(install().uninstall)
            identity = {
                "service": "local-cloud",
                "pid": os.getpid(),
                "port": self.port,
                "retentionSeconds": retention.seconds,
            }

            def health(query: dict[str, str]) -> dict[str, Any]:
                document = {**identity, "iam": enforcement_stats(), "usage": USAGE.snapshot()}
                if query.get("stored") == "1":  # a walk of every backend: asked for, never polled
                    document["storedBytes"] = stored_bytes()
                return document

            gateway = ApiGatewayMiddleware(DomainDispatcherApplication(create_backend_app), health=health)
            # The guard first: no foreign Host or Origin reaches the console (docs/operations.md) or AWS APIs.
            self.guard.app = ConsoleMiddleware(gateway, CloudReader(self.endpoint_url))
            app = self.guard
            handler = _LoggingRequestHandler if self._log_requests else KeepAliveRequestHandler
            self._server = make_server(
                self.host, self.port, app, threaded=True, request_handler=handler, fd=sock.fileno()
            )
        except BaseException:
            self._cleanup()
            raise
        finally:
            sock.close()  # make_server(fd=...) serves on its own duplicate
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"local-cloud-{self.port}",
            daemon=True,
        )
        self._thread.start()
        # Lambda's pollers and EventBridge's schedules, which moto does not run (events package), and the
        # retention that keeps a long run's memory flat.
        self._background = [EventSourcePollers().start(), ScheduleRunner().start(), retention.start()]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join()
            self._server.server_close()
        self._cleanup()

    def reset(self) -> None:
        """Forget every resource (moto's reset); warm workers stay until their function changes."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()

    def _cleanup(self) -> None:
        global _active
        while self._background:
            self._background.pop().stop()
        if self._patches is not None:
            self._patches.uninstall()
            self._patches = None
        if self._owns_runner and self._runner is not None:
            self._runner.close()
            self._runner = None
        self._server = None
        self._thread = None
        with _active_lock:
            if _active is self:
                _active = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _unstarted(environ: Any, start_response: Any) -> Any:
    raise RuntimeError("LocalCloud is not started")


class _LoggingRequestHandler(KeepAliveRequestHandler):
    log_request = MotoRequestHandler.log_request


def active() -> LocalCloud | None:
    """The LocalCloud running in this process, if any (test fixtures share it rather than fail)."""
    return _active


def serve(host: str, port: int, *, log_requests: bool = False) -> int:
    """Run in the foreground until SIGTERM/SIGINT. Exit code 2 when the port is taken."""
    try:
        cloud = LocalCloud(host, port, log_requests=log_requests).start()
    except PortInUseError:
        print(port_in_use_message(host, port), file=sys.stderr, flush=True)
        return 2
    print(f"local cloud listening on {cloud.endpoint_url} (pid {os.getpid()})", file=sys.stderr, flush=True)
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        cloud.stop()  # also stops every Lambda worker
    print("local cloud stopped", file=sys.stderr, flush=True)
    return 0
