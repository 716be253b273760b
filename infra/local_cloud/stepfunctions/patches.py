"""Step Functions' seams on moto, installed together."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud.seams import Installation, install_each
from local_cloud.stepfunctions import (
    aliases,
    client_cache,
    execution_logs,
    execution_metrics,
    express,
    interpreter,
    lambda_errors,
    limits,
    parse_cache,
    start_execution,
    stop_execution,
)


def install_all(port: int | None = None, without: Collection[str] = ()) -> Installation:
    """``port``: the server's, in server mode (the interpreter's own calls go there)."""
    limits.check_state_size_quota()
    return install_each(
        {
            "interpreter": lambda: interpreter.configure_moto(port),
            "execution_names": start_execution.install_execution_names,
            "stop_while_starting": stop_execution.install_stop_while_starting,
            "express_workflows": express.install_express_workflows,
            "qualified_starts": aliases.install_qualified_starts,
            "sfn_client_cache": client_cache.install_sfn_client_cache,
            "program_cache": parse_cache.install_program_cache,
            "jsonpath_cache": parse_cache.install_jsonpath_cache,
            "lambda_error_names": lambda_errors.install_lambda_error_names,
            "execution_metrics": execution_metrics.install_execution_metrics,
            "execution_logs": execution_logs.install_execution_logs,
        },
        without,
    )
