"""Step Functions' payload quota, enforced with AWS's error names (moto pinned: 5.2.5): 256 KiB of data, UTF-8,
per state input, output and execution input.

- A state's output or a Lambda task's result over the limit fails the state with ``States.DataLimitExceeded``:
  moto's interpreter does this itself (``_verify_size_quota``); ``check_state_size_quota`` makes sure it still
  does, so a moto upgrade cannot silently drop it.
- ``StartExecution`` with a larger input is refused before anything runs. The quota (Step Functions Developer
  Guide, service quotas: "262,144 bytes ... affects ... input data when ... starting an execution") and
  botocore's model (StartExecution ``input``, shape SensitiveData, max 262144) agree on the size; the error is
  StartExecution's documented one for an input it does not accept, ``InvalidExecutionInput`` (400). (The model
  also lists ValidationException; which of the two AWS answers for size alone was not observed here.) moto
  checks only that the input is JSON. The check runs in the StartExecution seam (``start_execution``).
"""

from __future__ import annotations

from typing import Any

from local_cloud.seams import SeamChanged, require_source

STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024


def utf8_size(data: Any) -> int:
    if data is None:
        return 0
    return len(data.encode("utf-8") if isinstance(data, str) else bytes(data))


def check_state_size_quota() -> None:
    """moto's own check of every state's output and of every Lambda task's result: still there, same limit."""
    from moto.stepfunctions.parser import quotas
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    if getattr(quotas, "MAX_STATE_SIZE_UTF8_BYTES", None) != STATE_PAYLOAD_LIMIT_BYTES:
        raise SeamChanged("moto.stepfunctions.parser.quotas.MAX_STATE_SIZE_UTF8_BYTES is no longer 256 KiB")
    require_source(
        CommonStateField._eval_body,
        ["self._verify_size_quota(env=env, value=env.states.get_input())"],
        "CommonStateField._eval_body",
    )
    require_source(
        StateTaskLambda._eval_execution, ["self._verify_size_quota(env=env, value=output)"], "StateTaskLambda"
    )


def check_execution_input(execution_input: Any) -> None:
    """Called by the StartExecution seam before anything else."""
    from moto.stepfunctions.exceptions import InvalidExecutionInput  # the parser's own class loses its code

    size = utf8_size(execution_input)
    if size > STATE_PAYLOAD_LIMIT_BYTES:
        raise InvalidExecutionInput(
            f"Execution input of {size} bytes exceeds the maximum of {STATE_PAYLOAD_LIMIT_BYTES} bytes (256 KiB)"
        )
