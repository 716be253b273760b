"""The `--env-vars` file of `sam local invoke` for a deployed stack: the values its functions' environment gets
from the template's Refs (tables, parameter, state machines, the return window), read from the stack's outputs,
and the endpoint the container reaches the emulator at.

SAM applies a file's values only to variables that template.yaml declares for the function (the rest are
dropped without a word), and passes an unresolved Ref as the logical id ("OrdersTable"): so the file must set
exactly the template's Ref-valued variables (tests/template/test_sam_env_files.py checks it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Environment variable of the functions -> the stack output holding its deployed value.
VARIABLE_OUTPUTS = {
    "ORDERS_TABLE": "OrdersTableName",
    "INVENTORY_TABLE": "InventoryTableName",
    "PAYMENTS_TABLE": "PaymentsTableName",
    "SAGA_LOG_TABLE": "SagaLogTableName",
    "IDEMPOTENCY_TABLE": "IdempotencyTableName",
    "FAULTS_PARAMETER": "FaultsParameterName",
    "FAULTS_MAX_AGE_SECONDS": "FaultPlanMaxAgeSeconds",
    "STATE_MACHINE_ARN": "CheckoutStateMachineArn",
    "RETURNS_TABLE": "ReturnsTableName",
    "RETURN_SAGA_LOG_TABLE": "ReturnSagaLogTableName",
    "RETURN_STATE_MACHINE_ARN": "ReturnStateMachineArn",
    "RETURN_WINDOW_DAYS": "ReturnWindowDays",
    # By its alias: the key's id is generated, and the local cloud's file is committed.
    "PAYMENT_TOKEN_KEY": "PaymentTokenKeyAliasArn",
    # The choreography's.
    "OUTBOX_TABLE": "OutboxTableName",
    "EVENT_BUS_NAME": "SagaEventBusName",
    "STEP_MAX_ATTEMPTS": "StepMaxAttempts",
    "COMPENSATION_MAX_ATTEMPTS": "CompensationMaxAttempts",
    "RETRY_INTERVAL_SECONDS": "RetryIntervalSeconds",
    "RETRY_BACKOFF_RATE": "RetryBackoffRate",
    "STALLED_AFTER_SECONDS": "StalledSagaSeconds",
    "TIMER_QUEUE_URL": "StalledSagaTimerQueueUrl",
    # The customers' read model (docs/events.md).
    "READ_MODEL_TABLE": "CustomerSummariesTableName",
    # Retention.
    "SAGA_RETENTION_DAYS": "SagaRetentionDays",
    "OUTBOX_RETENTION_HOURS": "OutboxRetentionHours",
    # The checkout's workflow type (the API's operator actions depend on it).
    "CHECKOUT_WORKFLOW_TYPE": "CheckoutWorkflowType",
}


def sam_env_vars(outputs: dict[str, str], container_endpoint: str) -> dict[str, Any]:
    """The file's content, in SAM's CloudFormation-parameters form (one set for every function)."""
    missing = sorted(output for output in VARIABLE_OUTPUTS.values() if output not in outputs)
    if missing:
        raise ValueError(f"the stack has no output {', '.join(missing)}: redeploy it with this template.yaml")
    variables = {name: outputs[output] for name, output in VARIABLE_OUTPUTS.items()}
    return {"Parameters": {"AWS_ENDPOINT_URL": container_endpoint, **variables}}


def write_env_file(path: Path, outputs: dict[str, str], container_endpoint: str) -> None:
    """Whole or not at all: an interrupted write leaves the previous file."""
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(sam_env_vars(outputs, container_endpoint), indent=2) + "\n", encoding="utf-8")
    os.replace(staging, path)
