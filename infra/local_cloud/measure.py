"""What each speed seam saves: ``python -m local_cloud.measure [seam ...] [--rounds N]``.

A measurement times one operation as the local cloud serves it (moto's server application, in this process, no
socket) with every seam installed, and with every seam but the one measured. The two arms alternate round after
round (ABBA), so that a change of the machine's load meets both alike; the time is this process's CPU time
(``time.process_time``: all its threads, nothing of other processes) per operation, the median of the rounds. The
figures of docs/local-cloud-seams.md come from here; the measurements sit beside their seams
(``<package>.measure``)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from local_cloud.seams import is_ours

MEASURED_PACKAGES = (
    "local_cloud.dispatch_measure",
    "local_cloud.dynamodb.measure",
    "local_cloud.stepfunctions.measure",
    "local_cloud.sqs.measure",
)
SIGNED = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"


class Trial(Protocol):
    """One measurement, set up: the operation and the two arms it runs in."""

    def arm(self, seam_on: bool) -> contextlib.AbstractContextManager[object]: ...

    def before_round(self) -> None:
        """Put the data back as the operation expects it (not timed)."""
        ...

    def round(self) -> int:
        """Run one round of the operation; how many operations it ran."""
        ...


@dataclass(frozen=True)
class Measurement:
    seam: str  # the name patches.install_all's ``without`` takes
    operation: str  # what is timed, in words
    replaced: str  # the moto attribute the seam replaces, as module.Owner.attribute
    trial: Callable[[Measurement], contextlib.AbstractContextManager[Trial]]


@dataclass(frozen=True)
class Result:
    measurement: Measurement
    with_ms: list[float]  # per operation, one figure per round
    without_ms: list[float]

    @property
    def gains(self) -> list[float]:
        """The share of the operation's time the seam saved, round by round (the arms of a round ran back to back)."""
        return sorted(1 - seam_on / seam_off for seam_on, seam_off in zip(self.with_ms, self.without_ms, strict=True))

    def line(self) -> str:
        low, gain, high = statistics.quantiles(self.gains, n=4) if len(self.gains) > 1 else self.gains * 3
        return (
            f"{self.measurement.seam:24} {statistics.median(self.without_ms):8.3f} -> "
            f"{statistics.median(self.with_ms):8.3f} ms  {gain:6.1%} ({low:6.1%} .. {high:6.1%})  "
            f"{self.measurement.operation}"
        )


def run(measurement: Measurement, rounds: int) -> Result:
    samples: dict[bool, list[float]] = {True: [], False: []}
    with measurement.trial(measurement) as trial:
        for number in range(rounds + 1):  # round 0 warms caches up and is not counted
            for seam_on in (True, False) if number % 2 else (False, True):
                with trial.arm(seam_on):
                    trial.before_round()
                    gc.collect()  # no collection of an earlier round's garbage lands in this one
                    started = time.process_time()
                    count = trial.round()
                    elapsed = time.process_time() - started
                if number:
                    samples[seam_on].append(elapsed * 1000 / count)
    return Result(measurement, samples[True], samples[False])


def check_replaced(dotted: str, seam_on: bool) -> None:
    """The arm measures what it says: the seam's attribute is ours with it, moto's without."""
    module_name, attributes = dotted, list[str]()
    while True:
        try:
            owner: Any = importlib.import_module(module_name)
            break
        except ModuleNotFoundError:
            module_name, _, attribute = module_name.rpartition(".")
            attributes.insert(0, attribute)
    for attribute in attributes:
        owner = getattr(owner, attribute)
    if is_ours(owner) != seam_on:
        raise AssertionError(
            f"{dotted} is {'not ' if seam_on else ''}replaced in the arm {'with' if seam_on else 'without'} the seam"
        )


class MotoApp:
    """moto's server application in this process, called as the SDKs call a JSON-protocol service."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.test import Client

        self._client = Client(DomainDispatcherApplication(create_backend_app))

    def call(self, service: str, target: str, body: dict[str, Any], json_version: str = "1.0") -> dict[str, Any]:
        response = self._client.post(
            "/",
            data=json.dumps(body),
            headers={
                "X-Amz-Target": target,
                "Content-Type": f"application/x-amz-json-{json_version}",
                "Authorization": SIGNED.format(service=service),
            },
        )
        if response.status_code != 200:
            raise RuntimeError(f"{target}: {response.status_code} {response.get_data(as_text=True)}")
        answer: dict[str, Any] = json.loads(response.get_data() or b"{}")
        return answer


@contextlib.contextmanager
def in_process_cloud() -> Iterator[Any]:
    """moto's backends in this process with the ASL interpreter on, and an in-process Lambda runner: what a trial
    installs the seams over."""
    from moto import mock_aws

    from local_cloud.awslambda.inprocess_runner import InProcessRunner

    runner = InProcessRunner()
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield runner
    finally:
        runner.close()


@contextlib.contextmanager
def installed(runner: Any, measurement: Measurement, seam_on: bool) -> Iterator[None]:
    """Every seam of the local cloud, or every seam but the one measured."""
    from local_cloud.patches import install_all

    with install_all(runner, without=() if seam_on else {measurement.seam}):
        check_replaced(measurement.replaced, seam_on)
        yield


class InProcessTrial:
    """A trial over moto in this process: its arms are the local cloud's seams with and without the one measured;
    ``app`` serves the operation."""

    def __init__(self, runner: Any, measurement: Measurement) -> None:
        self.runner = runner
        self.measurement = measurement
        self.app = MotoApp()

    def arm(self, seam_on: bool) -> contextlib.AbstractContextManager[object]:
        return installed(self.runner, self.measurement, seam_on)

    def before_round(self) -> None:
        pass

    def round(self) -> int:
        raise NotImplementedError


def in_process(
    make: Callable[[Any, Measurement], Trial],
) -> Callable[[Measurement], contextlib.AbstractContextManager[Trial]]:
    """The trial ``make(runner, measurement)`` builds, in a fresh in-process cloud."""

    @contextlib.contextmanager
    def trial(measurement: Measurement) -> Iterator[Trial]:
        with in_process_cloud() as runner:
            yield make(runner, measurement)

    return trial


def measurements() -> list[Measurement]:
    found: list[Measurement] = []
    for name in MEASURED_PACKAGES:
        found += importlib.import_module(name).MEASUREMENTS
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_cloud.measure", description=__doc__.split("\n")[0])
    parser.add_argument("seams", nargs="*", help="the seams to measure (default: every speed seam)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per arm (default 8)")
    args = parser.parse_args(argv)
    chosen = [m for m in measurements() if not args.seams or m.seam in args.seams]
    unknown = set(args.seams) - {m.seam for m in chosen}
    if unknown:
        parser.error(f"no measurement of {', '.join(sorted(unknown))}")
    print(f"{'seam':24} {'without -> with, CPU per operation':34}  {'gain (quartiles of the rounds)':30}  operation")
    for measurement in chosen:
        print(run(measurement, args.rounds).line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
