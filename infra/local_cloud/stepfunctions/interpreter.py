"""moto's ASL interpreter, turned on: moto stores state machines but runs their definitions only when
``execute_state_machine`` is set; in server mode the interpreter's own service calls go to ``MOTO_PORT``
(port 5000 otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_cloud.seams import Installation, set_environ


def configure_moto(port: int | None = None) -> Installation:
    """Turn on moto's ASL interpreter; with ``port``, send its own service calls to that port."""
    from moto.core.config import default_user_config

    sfn_config: dict[str, Any] = default_user_config.setdefault("stepfunctions", {})  # type: ignore[assignment]
    previous = sfn_config.get("execute_state_machine", False)
    sfn_config["execute_state_machine"] = True
    undo: list[Callable[[], None]] = [lambda: sfn_config.__setitem__("execute_state_machine", previous)]
    if port is not None:
        undo.append(set_environ("MOTO_PORT", str(port)))
    return Installation(undo)
