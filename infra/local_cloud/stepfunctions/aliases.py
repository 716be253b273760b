"""StartExecution through a state machine's version or alias, as on AWS (moto pinned: 5.2.5), at
``StepFunctionsParserBackend.start_execution``:

- an alias ARN (``...:stateMachine:<name>:<alias>``) runs one of the versions its routing names, picked by their
  weights as Step Functions routes; a version ARN (``...:<name>:<n>``) runs that version's definition;
- the execution belongs to the state machine itself, as on AWS: ListExecutions and DescribeExecution of the
  machine find it (moto files it under the version, where nothing looks), and a name already started on the
  machine, through whatever qualifier, answers with that execution (moto checks the version's own list only).

Traffic shifting is the deployer's: it points an alias at its new version at once (docs/local-cloud.md).
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

from local_cloud.seams import Installation, replace, require_signature

_UNQUALIFIED_PARTS = 7  # arn:partition:states:region:account:stateMachine:name
# What this thread's StartExecution runs in place of the machine's own definition: (the machine's ARN, a stand-in).
_running_version = threading.local()


def install_qualified_starts() -> Installation:
    """moto starts only an unqualified ARN (a version has no executions of its own to check names against). A
    qualified start is moto's unqualified one, in which the machine, as this thread alone looks it up, carries the
    version's definition: the name check, the execution's ARN and the list it joins are the machine's."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution
    require_signature(
        original_start,
        ["self", "state_machine_arn", "name", "execution_input", "trace_header"],
        "StepFunctionsParserBackend.start_execution",
    )
    original_describe = StepFunctionsParserBackend.describe_state_machine
    require_signature(original_describe, ["self", "arn"], "StepFunctionsParserBackend.describe_state_machine")

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, trace_header: Any = None
    ) -> Any:
        parts = state_machine_arn.split(":")
        if len(parts) <= _UNQUALIFIED_PARTS:
            return original_start(self, state_machine_arn, name, execution_input, trace_header)
        machine_arn = ":".join(parts[:_UNQUALIFIED_PARTS])
        version_arn = state_machine_arn if parts[-1].isdigit() else routed_version(self, state_machine_arn)
        _running_version.value = (machine_arn, _stand_in(original_describe(self, machine_arn), self, version_arn))
        try:
            return original_start(self, machine_arn, name, execution_input, trace_header)
        finally:
            _running_version.value = None

    def describe_state_machine(self: Any, arn: str) -> Any:
        running = getattr(_running_version, "value", None)
        if running is not None and running[0] == arn:
            return running[1]
        return original_describe(self, arn)

    return Installation(
        [
            replace(StepFunctionsParserBackend, "start_execution", start_execution),
            replace(StepFunctionsParserBackend, "describe_state_machine", describe_state_machine),
        ]
    )


def _stand_in(machine: Any, backend: Any, version_arn: str) -> Any:
    """The machine with the version's definition and settings; its executions are the machine's own list."""
    version = backend.describe_state_machine(version_arn)
    stand_in = copy.copy(machine)
    for setting in ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration"):
        setattr(stand_in, setting, getattr(version, setting))
    return stand_in


def routed_version(backend: Any, alias_arn: str) -> str:
    """The version an execution through the alias runs: one of its routing's, by weight."""
    routing = backend.describe_state_machine_alias(alias_arn).routing_configuration
    versions = [str(route["stateMachineVersionArn"]) for route in routing]
    weights = [int(route.get("weight", 100)) for route in routing]
    return random.choices(versions, weights=weights)[0]
