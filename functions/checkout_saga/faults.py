"""Fault injection (docs/operations.md, "Fault injection"): a JSON document per step, read from SSM by the handlers.

"fail" raises before the step has any effect: a business-like error that the saga compensates.
"transient" raises after the step's effect: like a lost response, so the retry that follows exercises
the step's idempotency (the effect must not apply twice)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from checkout_saga.errors import InjectedFailure, TransientStepError
from checkout_saga.models import StepName


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["fail", "transient"]
    rate: Annotated[float, Field(ge=0.0, le=1.0)]


class FaultPlan(RootModel[dict[StepName, FaultSpec]]):
    """The parameter's whole document: keys must be the saga step names (docs/operations.md, "Fault injection")."""


class FaultInjector:
    def __init__(self, plan: Mapping[StepName, FaultSpec], draw: Callable[[], float] = random.random) -> None:
        self._plan = plan
        self._draw = draw

    def before_effect(self, step: StepName) -> None:
        if self._fires(step, "fail"):
            raise InjectedFailure(f"fault injected in {step.value} (mode fail)")

    def after_effect(self, step: StepName) -> None:
        if self._fires(step, "transient"):
            raise TransientStepError(f"fault injected in {step.value} (mode transient), after its effect")

    def _fires(self, step: StepName, mode: str) -> bool:
        spec = self._plan.get(step)
        return spec is not None and spec.mode == mode and self._draw() < spec.rate
