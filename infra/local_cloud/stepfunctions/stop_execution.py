"""StopExecution of an execution that has only just started, as on AWS (moto pinned: 5.2.5), at
``ExecutionWorker.stop``.

moto starts an execution's program on a thread of its own, which parses the definition and only then builds the
environment that a stop is recorded in: a StopExecution in between met no environment and answered 500. On AWS a
started execution can be stopped at once (an operator's forced compensation may follow its checkout closely). The
stop now waits for the environment, which the thread builds within milliseconds.
"""

from __future__ import annotations

import time
from typing import Any

from local_cloud.seams import Installation, replace, require_signature, require_source

STARTING_SECONDS = 10.0  # a definition parses in milliseconds; this bounds a thread that died before its environment


def install_stop_while_starting() -> Installation:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker.stop
    require_signature(original, ["self", "stop_date", "error", "cause"], "ExecutionWorker.stop")
    require_source(original, ["self.env.set_stop("], "ExecutionWorker.stop")
    require_source(
        ExecutionWorker._execution_logic,
        ["self.env = self._get_evaluation_environment()"],
        "ExecutionWorker._execution_logic",
    )

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        deadline = time.monotonic() + STARTING_SECONDS
        while self.env is None and time.monotonic() < deadline:
            time.sleep(0.001)
        original(self, stop_date=stop_date, error=error, cause=cause)

    return Installation([replace(ExecutionWorker, "stop", stop)])
