"""What can go wrong with one invocation or one delivery, drawn when it starts. The step's own errors are raised by
the product's FaultInjector (`fail` before the effect, `transient` after it), as on a deployed stack; a crash and a
timeout are the scheduler's: the invocation stops at a DynamoDB call, or its caller stops waiting there while it
runs on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simulator.choices import Choices

FAULT_PERCENT = 25  # of invocations and deliveries


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

    def __str__(self) -> str:
        return f"{self.fate} at call {self.at_call}" if self.at_call else str(self.fate)


def invocation_fault(choices: Choices) -> InvocationFault:
    if not choices.chance(FAULT_PERCENT):
        return InvocationFault(Fate.NORMAL)
    fate = list(Fate)[1 + choices.draw(len(Fate) - 1)]
    at_call = 1 + choices.draw(4) if fate in (Fate.CRASH, Fate.TIMEOUT) else 0
    return InvocationFault(fate, at_call)


def delivery(choices: Choices) -> Delivery:
    if not choices.chance(FAULT_PERCENT):
        return Delivery.ONCE
    return (Delivery.LOST, Delivery.TWICE)[choices.draw(2)]
