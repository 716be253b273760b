"""The shape every saga step's handler shares: powertools decorators stacked once, the payload parsed
before anything is written, fault injection around the step's effect, and the result serialised."""

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.clock import utc_now_iso
from checkout_saga.handlers.dependencies import Repositories, fault_injector, repositories
from checkout_saga.handlers.saga_duration import record_saga_duration
from checkout_saga.logic.results import StepResult
from checkout_saga.models import OrderStatus, SagaPayload, StepName
from checkout_saga.observability import count, logger, metrics, tracer
from checkout_saga.settings import StepSettings, load_settings

PayloadT = TypeVar("PayloadT", bound=SagaPayload)
StepFunction = Callable[[PayloadT, Repositories, str], StepResult]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def saga_step(
    name: StepName | str,
    payload_model: type[PayloadT],
    *,
    on_transition: str | None = None,
    ends_as: OrderStatus | None = None,
) -> Callable[[StepFunction[PayloadT]], LambdaHandler]:
    """`name` is the ASL state the handler serves, the `step` of every log line. A StepName takes part in fault
    injection; the states that only record a stuck undo (MarkCompensationFailed...) are named by a plain string
    and never have a fault injected. `on_transition` names the metric counted when this call recorded the step's
    saga transition; a step that `ends_as` an outcome also records the saga's duration then (once per saga,
    however often delivered)."""
    fault_step = name if isinstance(name, StepName) else None

    def decorate(run: StepFunction[PayloadT]) -> LambdaHandler:
        @metrics.log_metrics
        @tracer.capture_lambda_handler(capture_response=False)  # results carry customers' data
        @logger.inject_lambda_context(clear_state=True)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            payload = parse(event=event, model=payload_model)
            logger.set_correlation_id(payload.saga_id)
            logger.append_keys(step=str(name))
            # Read at each call, not at import: the local runtimes reuse one process for many calls.
            settings = load_settings(StepSettings)
            faults = fault_injector(settings) if fault_step else None
            if faults and fault_step:
                faults.before_effect(fault_step)
            repos, now = repositories(settings), utc_now_iso()
            result = run(payload, repos, now)
            if faults and fault_step:
                faults.after_effect(fault_step)
            if on_transition and result.transitioned:
                count(on_transition)
                if ends_as is not None:
                    record_saga_duration(payload.saga_id, ends_as, repos.saga_log, now)
            logger.info("step done", transitioned=result.transitioned)
            return result.context.model_dump(mode="json", by_alias=True, exclude_none=True)

        return handler

    return decorate
