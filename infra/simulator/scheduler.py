"""The deterministic scheduler: actors are greenlets that run one at a time; each DynamoDB call is a point where
the running actor hands control back, and the scheduler (a `Choices` draw) picks which actor goes next. Between
two calls an actor runs alone, as one Lambda invocation does between two requests; the interleavings that matter
(which write lands first) are exactly the orders of these calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from greenlet import greenlet

from simulator.choices import Choices


class Crashed(BaseException):
    """The function's process died: raised inside it at a DynamoDB call, caught by nothing in the product."""


class Stopped(BaseException):
    """The execution was stopped (StopExecution): it makes no further call."""


Waiting = Callable[[], bool]  # an actor blocked until this is true (an execution waiting for its invocation)


@dataclass
class Actor:
    name: str
    run: Callable[[], Any]
    saga_id: str = ""
    on_done: Callable[[Actor], None] | None = None
    greenlet: greenlet | None = None
    next_call: str = "start"
    until: Waiting | None = None
    result: Any = None
    error: BaseException | None = None
    done: bool = False
    crash_at: int = 0  # dies before this DynamoDB call (past its last call: before it answers)
    abandon_at: int = 0  # its caller stops waiting at this call (past its last call: before it answers)
    calls: int = 0
    abandoned: bool = False
    stopped: bool = False  # an execution an operator stopped: it ends at its next call
    not_before: int = 0  # delayed (a slow call, an event in flight) until the scheduler's clock reaches this
    pause_on_abandon: int = 0  # steps the call where its caller stopped waiting takes (it is that slow)

    def waiting(self) -> bool:
        return not self.done and (self.until is None or self.until())


@dataclass
class Scheduler:
    choices: Choices
    after_step: Callable[[], None] = lambda: None  # runs between two steps (the simulated stream)
    max_steps: int = 3000
    actors: list[Actor] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    current: Actor | None = None
    clock: int = 0  # steps taken: the simulated time that delays count in

    def spawn(self, actor: Actor) -> Actor:
        self.actors.append(actor)
        return actor

    def at_call(self, operation: str) -> None:
        """The transport's hook: an actor about to make a DynamoDB call yields first."""
        actor = self.current
        if actor is None or actor.greenlet is not greenlet.getcurrent():
            return  # the simulator's own reads (setup, checks) are not part of the schedule
        actor.next_call = operation
        actor.calls += 1
        if actor.calls == actor.abandon_at:
            actor.abandoned = True
            actor.not_before = self.clock + actor.pause_on_abandon
        self._yield(actor)
        if actor.calls == actor.crash_at:
            raise Crashed(f"{actor.name} crashed before its call {actor.calls} ({operation})")
        if actor.stopped:
            raise Stopped(actor.name)

    def wait(self, until: Waiting) -> None:
        """Block the running actor until `until()` holds."""
        actor = self.current
        assert actor is not None
        actor.until = until
        actor.next_call = "resume"
        self._yield(actor)
        actor.until = None
        if actor.stopped:
            raise Stopped(actor.name)

    def _yield(self, actor: Actor) -> None:
        parent = actor.greenlet.parent if actor.greenlet else None
        assert parent is not None
        parent.switch()

    def run(self) -> None:
        """Run until no actor is ready; every pick is drawn."""
        steps = 0
        while steps < self.max_steps:
            able = [actor for actor in self.actors if actor.waiting()]
            ready = [actor for actor in able if actor.not_before <= self.clock]
            if not ready:
                if not able:
                    return
                self.clock = min(actor.not_before for actor in able)  # only delayed actors: time passes
                continue
            actor = ready[self.choices.draw(len(ready))]
            self.trace.append(f"{actor.name}: {actor.next_call}")
            self._step(actor)
            steps += 1
            self.clock += 1
        raise RuntimeError(f"the schedule did not settle within {self.max_steps} steps")

    def _step(self, actor: Actor) -> None:
        if actor.greenlet is None:
            actor.greenlet = greenlet(lambda: self._body(actor))
        self.current = actor
        actor.greenlet.switch()
        self.current = None
        if actor.done and actor.on_done is not None:
            actor.on_done(actor)
        self.after_step()

    @staticmethod
    def _body(actor: Actor) -> None:
        try:
            actor.result = actor.run()
            if actor.crash_at > actor.calls:
                raise Crashed(f"{actor.name} crashed before answering")
        except (Exception, Crashed, Stopped) as exc:  # an invocation's error is its answer
            actor.error = exc
        if actor.abandon_at > actor.calls:
            actor.abandoned = True
        actor.done = True
