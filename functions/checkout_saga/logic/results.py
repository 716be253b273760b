"""What a step returns to its handler: the document for the next state, and whether this call was the one
that recorded the step's transition (so metrics count each saga once, however often a step is delivered)."""

from dataclasses import dataclass

from checkout_saga.models import ReturnContext, SagaContext


@dataclass(frozen=True)
class StepResult:
    context: SagaContext | ReturnContext
    transitioned: bool
