"""Express workflows as Step Functions runs them (moto pinned: 5.2.5), where moto runs every state machine as a
Standard one:

- an Express execution's ARN is ``arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid>``, and a start
  is never deduplicated by its name: the same name and input start a second execution (moto would answer the first
  one's ARN, or ``ExecutionAlreadyExists``);
- there is no history API: ``DescribeExecution``, ``GetExecutionHistory`` and ``StopExecution`` refuse an Express
  ARN with ``InvalidArn`` ("Resource type not valid in this context: express"), and ``ListExecutions`` refuses an
  Express state machine with ``StateMachineTypeNotSupported``: the answers AWS gives (recorded from AWS in
  LocalStack's snapshot tests of Express workflows, ``test_sfn_api_express``).

At least once, on demand: an Express machine tagged ``local-cloud:duplicate-executions`` = a rate (0 to 1) has
that share of its starts run twice, with the same name and input, as AWS may: about half of the duplicates start at once
(concurrently), the others once the first has ended. The tag ``local-cloud:duplicates-started`` counts them, so a
client (the chaos run) can report how many it met. A tag does nothing on AWS.

Seams: ``StateMachine._handle_name_input_idempotency`` (the name check at StartExecution), ``Execution.start``
(the ARN, set before the interpreter reads it), ``StepFunctionBackend._validate_execution_arn`` (every call that
takes an execution ARN) and ``StepFunctionBackend.list_executions``."""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

from local_cloud.seams import Installation, replace, require_signature

EXPRESS = "EXPRESS"
DUPLICATE_RATE_TAG = "local-cloud:duplicate-executions"
DUPLICATES_STARTED_TAG = "local-cloud:duplicates-started"
_duplicate = threading.local()  # set while a duplicate starts: it gets no duplicate of its own
_count_lock = threading.Lock()
EXPRESS_ARN_REFUSED = "Invalid Arn: 'Resource type not valid in this context: express'"
LIST_REFUSED = "This operation is not supported by this type of state machine"


def is_express_arn(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 5 and parts[5] == "express"


def express_arn(standard_arn: str) -> str:
    """...:execution:<machine>:<name> -> ...:express:<machine>:<name>:<uuid> (one per execution, as AWS names it)."""
    parts = standard_arn.split(":")
    return ":".join([*parts[:5], "express", *parts[6:], str(uuid.uuid4())])


def duplicate_rate(backend: Any, machine_arn: str) -> float:
    tags = {tag["key"]: tag["value"] for tag in backend.list_tags_for_resource(machine_arn)["tags"]}
    try:
        return min(max(float(tags.get(DUPLICATE_RATE_TAG, 0)), 0.0), 1.0)
    except ValueError:
        return 0.0


def start_duplicate(execution: Any, concurrently: bool) -> None:
    """Start the same name and input again, now or once ``execution`` has ended, and count it on the machine."""
    backend, machine_arn = execution.state_machine.backend, execution.state_machine_arn
    if not concurrently:
        while execution.exec_status is None or execution.exec_status.value == "RUNNING":
            time.sleep(0.05)
    _duplicate.active = True
    try:
        backend.start_execution(machine_arn, execution.name, execution.execution_input, execution.trace_header)
    finally:
        _duplicate.active = False
    with _count_lock:
        tags = {tag["key"]: tag["value"] for tag in backend.list_tags_for_resource(machine_arn)["tags"]}
        count = int(tags.get(DUPLICATES_STARTED_TAG, "0")) + 1
        backend.tag_resource(machine_arn, {DUPLICATES_STARTED_TAG: str(count)})


def install_express_workflows() -> Installation:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.exceptions import InvalidArn
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend
    from moto.stepfunctions.parser.backend.execution import Execution

    class StateMachineTypeNotSupported(AWSError):  # moto's parser has one, but it loses its code on the wire
        TYPE = "StateMachineTypeNotSupported"
        STATUS = 400

    deduplicate = StateMachine._handle_name_input_idempotency
    start = Execution.start
    validate = StepFunctionBackend._validate_execution_arn
    list_executions = StepFunctionBackend.list_executions
    require_signature(deduplicate, ["self", "name", "execution_input"], "StateMachine._handle_name_input_idempotency")
    require_signature(start, ["self"], "Execution.start")
    require_signature(validate, ["self", "execution_arn"], "StepFunctionBackend._validate_execution_arn")

    def handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        if self.type == EXPRESS:
            return None  # every start is a new execution
        return deduplicate(self, name, execution_input)

    def start_execution(self: Any) -> None:
        if getattr(self.state_machine, "type", None) != EXPRESS:
            start(self)
            return
        if not is_express_arn(self.exec_arn):
            self.exec_arn = self.execution_arn = express_arn(self.exec_arn)
        start(self)
        if getattr(_duplicate, "active", False) or random.random() >= duplicate_rate(
            self.state_machine.backend, self.state_machine_arn
        ):
            return
        concurrently = random.random() < 0.5
        threading.Thread(target=start_duplicate, args=(self, concurrently), daemon=True).start()

    def validate_execution_arn(self: Any, execution_arn: str) -> None:
        if is_express_arn(execution_arn):
            raise InvalidArn(EXPRESS_ARN_REFUSED)
        validate(self, execution_arn)

    def list_express_refused(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        if self.describe_state_machine(state_machine_arn).type == EXPRESS:
            raise StateMachineTypeNotSupported(LIST_REFUSED)
        return list_executions(self, state_machine_arn, *args, **kwargs)

    return Installation(
        [
            replace(StateMachine, "_handle_name_input_idempotency", handle_name_input_idempotency),
            replace(Execution, "start", start_execution),
            replace(StepFunctionBackend, "_validate_execution_arn", validate_execution_arn),
            replace(StepFunctionBackend, "list_executions", list_express_refused),
        ]
    )
