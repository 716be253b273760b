"""Each function's environment (set in template.yaml), validated once per invocation, never at import:
the local runtimes reuse one process for many calls and the tests change the environment between them."""

import os
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_FAULTS_PARAMETER = "/checkout-saga/faults"
# A change of the faults parameter takes effect within 2 s (template: FaultPlanMaxAgeSeconds; docs/operations.md).
DEFAULT_FAULTS_MAX_AGE_SECONDS = 2


class StepSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    orders_table: str = Field(alias="ORDERS_TABLE", min_length=1)
    inventory_table: str = Field(alias="INVENTORY_TABLE", min_length=1)
    payments_table: str = Field(alias="PAYMENTS_TABLE", min_length=1)
    saga_log_table: str = Field(alias="SAGA_LOG_TABLE", min_length=1)
    returns_table: str = Field(alias="RETURNS_TABLE", min_length=1)
    return_saga_log_table: str = Field(alias="RETURN_SAGA_LOG_TABLE", min_length=1)
    # Unset where the stack was deployed without fault injection (production): no faults, no SSM call.
    faults_parameter: str | None = Field(alias="FAULTS_PARAMETER", default=None)
    # How long a step keeps the plan it read; 0 (the tests' stacks): read at every step, a change holds at once.
    faults_max_age_seconds: int = Field(
        alias="FAULTS_MAX_AGE_SECONDS", default=DEFAULT_FAULTS_MAX_AGE_SECONDS, ge=0, le=60
    )
    # The KMS key that seals payment tokens (the API and ChargePayment only).
    payment_token_key: str | None = Field(alias="PAYMENT_TOKEN_KEY", default=None)
    # The choreography's outbox table (the API and the choreographed services only).
    outbox_table: str | None = Field(alias="OUTBOX_TABLE", default=None)
    # The customers' read model (the API and its projector only).
    read_model_table: str | None = Field(alias="READ_MODEL_TABLE", default=None)
    # Retention (template: SagaRetentionDays, OutboxRetentionHours): each saga log item expires that many days
    # after its last change (unset: kept for ever), each outbox event that many hours after its write.
    saga_retention_days: int | None = Field(alias="SAGA_RETENTION_DAYS", default=None, ge=1)
    outbox_retention_hours: int = Field(alias="OUTBOX_RETENTION_HOURS", default=24, ge=1)


class ApiSettings(StepSettings):
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN", min_length=1)
    return_state_machine_arn: str = Field(alias="RETURN_STATE_MACHINE_ARN", min_length=1)
    # The checkout state machine's type (template: CheckoutWorkflowType): an EXPRESS execution cannot be stopped.
    checkout_workflow_type: Literal["STANDARD", "EXPRESS"] = Field(alias="CHECKOUT_WORKFLOW_TYPE", default="STANDARD")


class ReturnPolicySettings(BaseModel):
    """ValidateReturn's rule from the template parameter ReturnWindowDays."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    return_window_days: int = Field(alias="RETURN_WINDOW_DAYS", default=30, ge=0)


SettingsT = TypeVar("SettingsT", bound=BaseModel)


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Raises pydantic's ValidationError naming every missing or invalid variable."""
    return model.model_validate(dict(os.environ))
