"""Step Functions' seams on moto, installed together."""

from __future__ import annotations

from local_cloud.seams import Installation
from local_cloud.stepfunctions import client_cache, interpreter, lambda_errors, limits, parse_cache, start_execution


def install_all(port: int | None = None) -> Installation:
    """``port``: the server's, in server mode (the interpreter's own calls go there)."""
    limits.check_state_size_quota()
    parts = [
        interpreter.configure_moto(port),
        start_execution.install_execution_names(),
        client_cache.install_sfn_client_cache(),
        parse_cache.install_all(),
        lambda_errors.install_lambda_error_names(),
    ]
    return Installation([part.uninstall for part in parts])
