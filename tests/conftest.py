"""Every suite talks to emulators only: fake credentials, one region, and never a real AWS endpoint.

The tiers (docs/testing.md): a folder's tests get its tier's marker here, so that `make test-fast` can leave out
`e2e` (the deployed stack on a local cloud server), `server` (servers and worker processes on local ports) and
`slow` (a test marked so in its module). Under pytest-xdist (`make test`: `--dist loadscope`) each module is one
unit of work, so a module's fixtures are built once, on one worker; the state machine's modules are one unit, as
they share one deployed stack (tests/statemachine/conftest.py). Only half the workers take the end-to-end units
(`may_run`): each one that does starts a local cloud of its own."""

import gc
import os
from collections.abc import Iterable
from typing import Any

import pytest

from local_cloud.awslambda import shared_loader

shared_loader.install()  # before any session: every session of this process shares one loader
os.environ.update(
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_SERVICE_NAME="checkout-saga",
    POWERTOOLS_METRICS_NAMESPACE="CheckoutSaga",
    POWERTOOLS_TRACE_DISABLED="true",
)
for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)

# The folders whose every test is of a tier that `make test-fast` leaves out.
FOLDER_MARKERS = {"e2e": "e2e", "infra": "server"}
# The modules (by path prefix) that share one costly fixture wider than a module: one unit of work each.
SHARED_UNITS = {
    # The state machine's modules share one deployed stack (tests/statemachine/conftest.py, package scope): two
    # units, about as long, each deploying it once (about 6 s of CPU); a worker that runs both deploys once.
    "tests/statemachine/test_return_paths.py": "statemachine-returns",
    "tests/statemachine/test_sample_events.py": "statemachine-returns",
    "tests/statemachine/test_duplicate_delivery.py": "statemachine-returns",
    "tests/statemachine/": "statemachine-checkouts",
    "tests/e2e/test_operator_e2e.py": "e2e-slow-retry-stack",  # tests/e2e/conftest.py: slow_retry_stack
    "tests/e2e/test_saga_timer_e2e.py": "e2e-slow-retry-stack",
}
# The modules whose parametrized cases each build their own module fixture: one unit of work per case (its tests).
SPLIT_BY_CASE = {"tests/e2e/test_chaos_small.py"}  # a chaos round per coordination, a minute each


def _folder(nodeid: str) -> str:
    parts = nodeid.split("::")[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


def work_unit(nodeid: str) -> str:
    """What one xdist worker runs as a whole, in order: a module, modules of SHARED_UNITS, or a case."""
    module = nodeid.split("::")[0]
    for prefix, unit in SHARED_UNITS.items():
        if module.startswith(prefix):
            return unit
    if module in SPLIT_BY_CASE and nodeid.endswith("]"):
        return f"{module}[{nodeid.rsplit('[', 1)[1]}"  # the tests of one case share its module fixture
    return module


def _first(item: pytest.Item) -> int:
    """Units that take longest start first, so that no worker is left with a long one at the end."""
    if item.get_closest_marker("slow"):
        return 0
    if item.get_closest_marker("e2e") or _folder(item.nodeid) == "statemachine":
        return 1
    return 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = FOLDER_MARKERS.get(_folder(item.nodeid))
        if marker:
            item.add_marker(marker)
    # Whole units are moved (never a module's tests apart from each other), in their collection order otherwise.
    rank: dict[str, int] = {}
    for item in items:
        unit = work_unit(item.nodeid)
        rank[unit] = min(rank.get(unit, 2), _first(item))
    items.sort(key=lambda item: rank[work_unit(item.nodeid)])


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (moto's and botocore's models, the ASL parser, the handlers) lives as long as the
    process: out of the garbage collector's sight, a full collection walks only what the tests make, and young
    objects are collected less often. About 8 % of the in-process tiers' CPU (the state machine and API tiers in
    one process: 65 s of CPU down to 60 s, in turns, 2026-12-07)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def e2e_workers(workers: int) -> int:
    """How many of the workers run the e2e units. Each that does starts a local cloud and deploys the stack to it
    (tests/e2e/conftest.py, session scope), then cold-starts its functions: about 10 s of CPU each. Half of them
    hold the e2e units; the others run the in-process tiers, which are as long."""
    return max(1, workers // 2)


def may_run(worker: str, nodeids: Iterable[str], workers: int) -> bool:
    """Whether xdist's worker `worker` ("gw3") of the `workers` it started takes the unit of these tests. A worker
    that replaces a crashed one is numbered on (gw4): it takes the place of gw0."""
    if not any(_folder(nodeid) == "e2e" for nodeid in nodeids):
        return True
    return int(worker.removeprefix("gw")) % workers < e2e_workers(workers)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope`, with work_unit as the scope (xdist's own splits by module only; its loadgroup cannot
    rename node ids under this pytest), each unit on a worker that `may_run` it."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _next_unit(self, node: Any) -> str | None:
            workers = self.numnodes  # as started: the count of live ones drops as they finish
            return next(
                (unit for unit, tests in self.workqueue.items() if may_run(node.gateway.id, tests, workers)), None
            )

        def _assign_work_unit(self, node: Any) -> None:
            """xdist's, but the first unit the node may run rather than the first of all."""
            unit = self._next_unit(node)
            if unit is None:
                return
            tests = self.workqueue.pop(unit)
            self.assigned_work.setdefault(node, {})[unit] = tests
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(nodeid) for nodeid, done in tests.items() if not done])

        def _reschedule(self, node: Any) -> None:
            if not node.shutting_down and self.workqueue and self._next_unit(node) is None:
                if self._pending_of(self.assigned_work[node]) == 0:
                    node.shutdown()  # what is left is for the other workers
                return
            super()._reschedule(node)

    return ByWorkUnit(config, log)
