"""What can go wrong with one invocation or one delivery. Faults are drawn "swarm" style: each schedule first
draws a plan (how often each step fails and how, how often an event is lost or delivered twice), then each
invocation and delivery draws from it. Correlated faults (a step that keeps timing out, a queue that keeps
losing) are what reach the deep interleavings: retries that all fail while the first attempt still runs.

The step's own errors are raised by the product's FaultInjector (`fail` before the effect, `transient` after
it), as on a deployed stack; a crash and a timeout are the scheduler's: the invocation stops at a DynamoDB call,
or its caller stops waiting there while it runs on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.choices import Choices

LEVELS = (0, 15, 60, 100)  # percent of a step's invocations (or of deliveries) that go wrong, per schedule
DELAYS = (0, 10, 40, 150)  # scheduler steps a slow call or an event in flight takes


class Fate(StrEnum):
    NORMAL = "normal"
    FAIL = "fail"  # the step's injected failure, before its effect
    TRANSIENT = "transient"  # a transient error after its effect (the answer lost)
    CRASH = "crash"  # the function dies before its n-th DynamoDB call (after the writes before it)
    TIMEOUT = "timeout"  # its caller stops waiting at its n-th call (States.Timeout) while it runs on


class Delivery(StrEnum):
    ONCE = "once"
    LOST = "lost"
    TWICE = "twice"


@dataclass(frozen=True)
class InvocationFault:
    fate: Fate
    at_call: int = 0  # for CRASH and TIMEOUT: the 1-based DynamoDB call where it happens
    delay: int = 0  # for TIMEOUT: steps that call takes (the first attempt runs on while the retries go)

    def __str__(self) -> str:
        if self.fate is Fate.TIMEOUT:
            return f"timeout at call {self.at_call}, that call {self.delay} steps late"
        return f"{self.fate} at call {self.at_call}" if self.at_call else str(self.fate)


@dataclass
class FaultPlan:
    steps: dict[str, tuple[int, Fate]] = field(default_factory=dict)  # step -> (percent, how)
    lost_percent: int = 0
    twice_percent: int = 0
    late_percent: int = 0

    @classmethod
    def draw(cls, choices: Choices, steps: Iterable[str]) -> FaultPlan:
        plan = cls()
        for step in steps:
            level = LEVELS[choices.draw(len(LEVELS))]
            if level:
                plan.steps[step] = (level, list(Fate)[1 + choices.draw(len(Fate) - 1)])
        plan.lost_percent = LEVELS[choices.draw(3)]  # never every event lost
        plan.twice_percent = LEVELS[choices.draw(len(LEVELS))]
        plan.late_percent = LEVELS[choices.draw(len(LEVELS))]
        return plan

    def invocation(self, choices: Choices, step: str) -> InvocationFault:
        percent, fate = self.steps.get(step, (0, Fate.NORMAL))
        if not percent or not choices.chance(percent):
            return InvocationFault(Fate.NORMAL)
        at_call = 1 + choices.draw(4) if fate in (Fate.CRASH, Fate.TIMEOUT) else 0
        delay = DELAYS[choices.draw(len(DELAYS))] if fate is Fate.TIMEOUT else 0
        return InvocationFault(fate, at_call, delay)

    def in_flight(self, choices: Choices) -> int:
        """How many steps an event takes to arrive: reordering, when others overtake it."""
        return DELAYS[choices.draw(len(DELAYS))] if self.late_percent and choices.chance(self.late_percent) else 0

    def delivery(self, choices: Choices) -> Delivery:
        if self.lost_percent and choices.chance(self.lost_percent):
            return Delivery.LOST
        if self.twice_percent and choices.chance(self.twice_percent):
            return Delivery.TWICE
        return Delivery.ONCE

    def __str__(self) -> str:
        steps = ", ".join(f"{step} {fate} {percent}%" for step, (percent, fate) in self.steps.items())
        events = f"events lost {self.lost_percent}%, twice {self.twice_percent}%, late {self.late_percent}%"
        return f"faults: {steps or 'none'}; {events}"
