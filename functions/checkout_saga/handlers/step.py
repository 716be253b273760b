"""The shape every saga step's handler shares: powertools decorators stacked once, the payload parsed
before anything is written, fault injection around the step's effect, and the result serialised."""

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from checkout_saga.clock import utc_now_iso
from checkout_saga.faults import FaultInjector
from checkout_saga.handlers.dependencies import Repositories, fault_injector, repositories
from checkout_saga.handlers.saga_duration import record_saga_duration
from checkout_saga.logic.results import StepResult
from checkout_saga.models import OrderStatus, StepName
from checkout_saga.observability import logger, metrics, tracer

PayloadT = TypeVar("PayloadT", bound=BaseModel)
StepFunction = Callable[[PayloadT, Repositories, str], StepResult]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def saga_step(
    step: StepName | None,
    payload_model: type[PayloadT],
    order_id_of: Callable[[PayloadT], str],
    on_transition: str | None = None,
    ends_as: OrderStatus | None = None,
) -> Callable[[StepFunction[PayloadT]], LambdaHandler]:
    """`on_transition` names the metric counted when this call recorded the step's saga transition; a step
    that `ends_as` an outcome also records the saga's duration then (once per saga, however often delivered)."""

    def decorate(run: StepFunction[PayloadT]) -> LambdaHandler:
        @metrics.log_metrics
        @tracer.capture_lambda_handler
        @logger.inject_lambda_context(clear_state=True)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            payload = parse(event=event, model=payload_model)
            order_id = order_id_of(payload)
            logger.set_correlation_id(order_id)
            logger.append_keys(step=step.value if step else run.__name__)
            faults = fault_injector() if step else FaultInjector({})
            if step:
                faults.before_effect(step)
            repos, now = repositories(), utc_now_iso()
            result = run(payload, repos, now)
            if step:
                faults.after_effect(step)
            if on_transition and result.transitioned:
                metrics.add_metric(name=on_transition, unit="Count", value=1)
                if ends_as is not None:
                    record_saga_duration(order_id, ends_as, repos.saga_log, now)
            logger.info("step done", transitioned=result.transitioned)
            return result.context.model_dump(mode="json", by_alias=True, exclude_none=True)

        return handler

    return decorate
