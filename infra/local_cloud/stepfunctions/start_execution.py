"""StartExecution as on AWS (moto pinned: 5.2.5), at ``StepFunctionsParserBackend.start_execution``:

- a nameless start gets a UUID name (moto's interpreter backend builds the ARN from the name as given,
  ending in ``:None``, and a second nameless start then fails);
- an input over 256 KiB is refused first, as AWS does (``limits.check_execution_input``).
"""

from __future__ import annotations

import uuid
from typing import Any

from local_cloud.seams import Installation, replace, require_signature
from local_cloud.stepfunctions.limits import check_execution_input


def install_execution_names() -> Installation:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    require_signature(
        original,
        ["self", "state_machine_arn", "name", "execution_input", "trace_header"],
        "StepFunctionsParserBackend.start_execution",
    )

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, trace_header: Any = None
    ) -> Any:
        check_execution_input(execution_input)
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    return Installation([replace(StepFunctionsParserBackend, "start_execution", start_execution)])
