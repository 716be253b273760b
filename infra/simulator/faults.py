"""What can go wrong with one invocation or one delivery. Faults are drawn "swarm" style: each schedule first
draws a plan (how often each step fails and how, how often an event is lost or delivered twice), then each
invocation and delivery draws from it. Correlated faults (a step that keeps timing out, a queue that keeps
losing) are what reach the deep interleavings: retries that all fail while the first attempt still runs.

The step's own errors are raised by the product's FaultInjector (`fail` before the effect, `transient` after
it), as on a deployed stack; a crash and a timeout are the scheduler's: the invocation stops at a DynamoDB call,
or its caller stops waiting there while it runs on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.choices import Choices

LEVELS = (0, 15, 60, 100)  # percent of a step's invocations (or of deliveries) that go wrong, per schedule
DELAYS = (5, 10, 20, 40, 80)  # scheduler steps a slow call or an event in flight takes (a schedule takes ~250)
# Most plans are focused (FoundationDB's "buggify"): each saga has one step that goes wrong often or always, its
# other steps work. A swarm plan makes most steps fail now and then, so most sagas turn back early; the deep races
# need a saga to get far with one step failing hard, and one focus per saga tries 3 to 5 of them per schedule. A
# timeout is what runs two attempts of one step at once (every race found so far came from one), so half the foci
# hang their step: every invocation stops answering at the same call, mostly its first, and runs on late. A
# failing step fails 60 % of the time: a step delivered twice then often fails in one copy and works in the other.
# A checkout step is focused four times in five (a return runs only after some checkouts).
FOCUSED_PERCENT = 80
FOCUS_AT_CALLS = (1, 1, 2)
FOCUS_ON_OFTEN_PERCENT = 80
FOCUS_FAILING_PERCENT = 60


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


@dataclass(frozen=True)
class Focus:
    """The one step of a saga that goes wrong in a focused plan, and how."""

    step: str
    percent: int
    fate: Fate
    at_call: int = 0  # for CRASH and TIMEOUT: the call where every invocation crashes or hangs

    def __str__(self) -> str:
        return f"{self.step} {self.fate} {self.percent}%" + (f" at call {self.at_call}" if self.at_call else "")


@dataclass
class FaultPlan:
    steps: dict[str, tuple[int, Fate]] = field(default_factory=dict)  # swarm: step -> (percent, how)
    focused: bool = False
    foci: dict[str, Focus] = field(default_factory=dict)  # focused: saga id -> its focus
    lost_percent: int = 0
    twice_percent: int = 0
    late_percent: int = 0

    @classmethod
    def draw(cls, choices: Choices, steps: Sequence[str]) -> FaultPlan:
        """A swarm plan over `steps`, or a focused one (each saga's focus is drawn as it starts: `focus`)."""
        plan = cls(focused=choices.chance(FOCUSED_PERCENT))
        if not plan.focused:
            for step in steps:
                level = LEVELS[choices.draw(len(LEVELS))]
                if level:
                    plan.steps[step] = (level, _fate(choices))
        plan.lost_percent = LEVELS[choices.draw(3)]  # never every event lost
        plan.twice_percent = LEVELS[choices.draw(len(LEVELS))]
        plan.late_percent = LEVELS[choices.draw(len(LEVELS))]
        return plan

    def focus(self, choices: Choices, saga_id: str, steps: Sequence[str], often: Sequence[str]) -> str | None:
        """In a focused plan, the step of saga `saga_id` that goes wrong (returned): among `often` mostly, else any
        of `steps`."""
        if not self.focused:
            return None
        among = often if choices.chance(FOCUS_ON_OFTEN_PERCENT) else steps
        step = among[choices.draw(len(among))]
        if choices.chance(50):
            self.foci[saga_id] = Focus(step, 100, Fate.TIMEOUT, FOCUS_AT_CALLS[choices.draw(len(FOCUS_AT_CALLS))])
        else:
            fate = (Fate.FAIL, Fate.TRANSIENT, Fate.CRASH)[choices.draw(3)]
            at_call = FOCUS_AT_CALLS[choices.draw(len(FOCUS_AT_CALLS))] if fate is Fate.CRASH else 0
            self.foci[saga_id] = Focus(step, FOCUS_FAILING_PERCENT, fate, at_call)
        return step

    def invocation(self, choices: Choices, step: str, saga_id: str) -> InvocationFault:
        percent, fate, at_call = self._fault(step, saga_id)
        if not percent or not choices.chance(percent):
            return InvocationFault(Fate.NORMAL)
        if fate in (Fate.CRASH, Fate.TIMEOUT) and not at_call:
            at_call = 1 + choices.draw(4)
        delay = DELAYS[choices.draw(len(DELAYS))] if fate is Fate.TIMEOUT else 0
        return InvocationFault(fate, at_call, delay)

    def _fault(self, step: str, saga_id: str) -> tuple[int, Fate, int]:
        focus = self.foci.get(saga_id)
        if focus is not None and focus.step == step:
            return focus.percent, focus.fate, focus.at_call
        percent, fate = self.steps.get(step, (0, Fate.NORMAL))
        return percent, fate, 0

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
        if self.focused:
            steps = "focused: " + ", ".join(f"{saga} {focus}" for saga, focus in self.foci.items())
        else:
            steps = ", ".join(f"{step} {fate} {percent}%" for step, (percent, fate) in self.steps.items()) or "none"
        events = f"events lost {self.lost_percent}%, twice {self.twice_percent}%, late {self.late_percent}%"
        return f"faults: {steps}; {events}"


def _fate(choices: Choices) -> Fate:
    """How a step goes wrong: any fate but NORMAL."""
    return list(Fate)[1 + choices.draw(len(Fate) - 1)]
