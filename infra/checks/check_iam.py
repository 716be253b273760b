"""Shows that no permission of template.yaml is extra: for each policy statement in turn (each ``Sid`` of an
inline policy, each SAM policy template), and for each action of a statement that lists several, a copy of
the project without it runs the tests, which must fail. IAM enforcement shows the other half (no
permission is missing), on every test run.

Two stages per statement, cheapest first: the in-process suites (state machine paths, API), then, only if
they still pass, the end-to-end suite on a local cloud server (separate worker processes per function,
as on AWS, where a permission used by one function cannot hide behind another's cache).

Too slow for `make test` (a suite run per statement): run it with `make check-iam` after changing a policy.
The copy is a temporary directory, so the working tree is never modified, even if interrupted."""

from __future__ import annotations

import argparse
import datetime
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from checks.project_copy import copy_project
from checks.pytest_runs import run_pytest

TEMPLATE = Path("template.yaml")
STAGES = (("in-process", ["tests/statemachine", "tests/api"]), ("end to end", ["tests/e2e"]))
API_FIRST = {"ApiFunction", "SweepStaleSagasFunction"}
# The choreography's functions run only on a local cloud server: the in-process suites never invoke them.
END_TO_END_ONLY = {
    "OrdersServiceFunction",
    "InventoryServiceFunction",
    "PaymentsServiceFunction",
    "PublishSagaEventsFunction",
    "SweepStalledSagasFunction",
    "StalledSagaTimerFunction",
    # The saga events' publisher and the read model's projector (docs/events.md).
    "PublishSagaHistoryFunction",
    "ProjectCustomerSummariesFunction",
}
# Their end-to-end tests, first: without one of their grants a choreographed saga stalls, and these fail within a
# minute, where the suite's earlier tests (a chaos round, the benchmark) would each wait out their timeouts.
CHOREOGRAPHY_FIRST = [
    "tests/e2e/test_coordinations_e2e.py",
    "tests/e2e/test_saga_timer_e2e.py",
    "tests/e2e/test_events_e2e.py",
]
_RESOURCE = re.compile(r"^  (\w+):\s*$")
_POLICIES = re.compile(r"^(\s+)Policies:\s*$")
_STATEMENT = re.compile(r"^(\s+)- Sid: (\w+)\s*$")
_CONDITIONAL = re.compile(r"^(\s+)- !If\s*$")  # a statement that exists only under a condition
_POLICY_TEMPLATE = re.compile(r"^(\s+)- (\w+Policy): (.*)$")
_ACTIONS = re.compile(r"^(\s+Action: \[)(.*)(\]\s*)$")


@dataclass(frozen=True)
class Statement:
    resource: str
    name: str
    lines: range  # of the template's lines
    action: str = ""  # set: only this action of the statement is removed

    def __str__(self) -> str:
        return f"{self.resource}: {self.name}" + (f" / {self.action}" if self.action else "")


def variants(lines: list[str]) -> Iterator[Statement]:
    """Each statement, then each action of a statement that lists more than one."""
    for statement in statements(lines):
        yield statement
        for number in statement.lines:
            if (match := _ACTIONS.match(lines[number])) and "," in match[2]:
                for action in match[2].split(","):
                    yield Statement(statement.resource, statement.name, statement.lines, action.strip())


def statements(lines: list[str]) -> Iterator[Statement]:
    """Every removable statement of every resource's Policies, with its line range."""
    resource, in_policies, policies_indent = "", False, 0
    skip: set[int] = set()  # Sid lines already yielded as part of a conditional statement
    for number, line in enumerate(lines):
        if match := _RESOURCE.match(line):
            resource, in_policies = match[1], False
            continue
        if match := _POLICIES.match(line):
            in_policies, policies_indent = True, len(match[1])
            continue
        if in_policies and line.strip() and _indent(line) <= policies_indent:
            in_policies = False
        if not in_policies or number in skip:
            continue
        if match := _CONDITIONAL.match(line):
            # `- !If [condition, {Sid: ...}, !Ref AWS::NoValue]`: the whole !If is the statement (removing only
            # its Sid block would leave an invalid template, which fails every test for the wrong reason).
            block = range(number, _block_end(lines, number, len(match[1])))
            inner = [(n, m) for n in block if (m := _STATEMENT.match(lines[n]))]
            if inner:
                skip.update(n for n, _ in inner)
                yield Statement(resource, inner[0][1][2], block)
            continue
        if match := _STATEMENT.match(line):
            yield Statement(resource, match[2], range(number, _block_end(lines, number, len(match[1]))))
        elif match := _POLICY_TEMPLATE.match(line):
            yield Statement(resource, f"{match[2]} {match[3]}", range(number, number + 1))


def without(lines: list[str], statement: Statement) -> str:
    if not statement.action:
        return "".join(line for number, line in enumerate(lines) if number not in statement.lines)
    kept = list(lines)
    for number in statement.lines:
        if match := _ACTIONS.match(lines[number]):
            actions = [a.strip() for a in match[2].split(",") if a.strip() != statement.action]
            kept[number] = f"{match[1]}{', '.join(actions)}{match[3]}"
    return "".join(kept)


def _block_end(lines: list[str], start: int, dash_indent: int) -> int:
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > dash_indent):
        end += 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class Runner:
    """Runs the stages in ``copy``. The test that failed for a resource's last statement runs first, alone, for
    the next one: most of a resource's actions are needed by the same test, and one test is much cheaper than
    a stage."""

    def __init__(self, copy: Path) -> None:
        self._copy = copy
        self._last_failure: dict[str, tuple[str, str]] = {}  # resource -> (stage, test node id)
        self.last_failure_report = ""  # the end of the last failed run's output: what failed, and why

    def failing_stage(self, resource: str = "") -> str | None:
        """The first stage whose tests fail, or None when every stage passes."""
        if resource in self._last_failure and resource not in END_TO_END_ONLY:  # theirs: see _first_failing
            stage, test = self._last_failure[resource]
            if self._fails([test]) is not None:
                return stage
        return self._first_failing(resource, end_to_end_only=resource in END_TO_END_ONLY)

    def baseline(self, resources: set[str]) -> str | None:
        """The first stage that fails with every grant in place, of those that can see `resources`' statements
        (only the end-to-end one when all of them are the choreography's functions)."""
        return self._first_failing("", end_to_end_only=bool(resources) and resources <= END_TO_END_ONLY)

    def _first_failing(self, resource: str, end_to_end_only: bool) -> str | None:
        for stage, paths in STAGES:
            if end_to_end_only and stage != "end to end":
                continue
            if resource in API_FIRST:  # its statements are exercised by the API suite: fail there first, sooner
                paths = sorted(paths, key=lambda path: path != "tests/api")
            runs = [paths]
            if resource in END_TO_END_ONLY:  # a run of their own first (pytest would run a directory in its order),
                # then the resource's last failed test when it is another (a chaos round, slow when a grant is missing)
                _stage, remembered = self._last_failure.get(resource, (stage, ""))
                again = [[remembered]] if remembered and remembered.split("::")[0] not in CHOREOGRAPHY_FIRST else []
                runs = [CHOREOGRAPHY_FIRST, *again, [*paths, *(f"--ignore={first}" for first in CHOREOGRAPHY_FIRST)]]
            for run in runs:
                failed = self._fails(run)
                if failed is not None:
                    if failed:
                        self._last_failure[resource] = (stage, failed)
                    return stage
        return None

    def _fails(self, paths: list[str]) -> str | None:
        """None if the tests pass; else the failed test's node id ("" when pytest names none)."""
        run = run_pytest(self._copy, paths)
        if run.failed is not None:
            self.last_failure_report = run.report
        return run.failed


def passes_unchanged(runner: Runner, resources: set[str]) -> bool:
    """Whether the tests pass with every grant in place: the baseline, run again once if it fails (a removal's
    verdict is only as good as it is). Each failure is printed, and one that passes the second time is named a
    flaky test, so that it gets fixed, without failing a day's check of the grants."""
    if (stage := runner.baseline(resources)) is None:
        return True
    print(f"the {stage} tests failed without any change:\n{runner.last_failure_report}", file=sys.stderr, flush=True)
    if (stage := runner.baseline(resources)) is not None:
        print(f"\nthey fail again:\n{runner.last_failure_report}\nfix them first", file=sys.stderr)
        return False
    print("they pass the second time: the failure above is a flaky test's; checking on", file=sys.stderr, flush=True)
    return True


def selected(
    lines: list[str], resources: set[str], action: str = "", statements: frozenset[str] = frozenset()
) -> list[Statement]:
    """The removals to check: those of `resources` (every resource's if empty); only of `action` if given; only of
    the statements named in `statements` (a Sid, or a policy template's name) if any."""
    return [
        variant
        for variant in variants(lines)
        if (not resources or variant.resource in resources)
        and (not action or variant.action == action)
        and (not statements or variant.name.split(" ")[0] in statements)
    ]


# A removal that only the end-to-end suite can see costs about four of the others: its resource's own end-to-end
# tests run first, on a new local cloud, and often the rest of that suite too (docs/testing.md).
END_TO_END_COST = 4


def cost(variant: Statement) -> int:
    return END_TO_END_COST if variant.resource in END_TO_END_ONLY else 1


def parts(lines: list[str], count: int) -> list[list[Statement]]:
    """Every removal, in `count` parts of about the same cost (`--parts` checks one part a day, so that all are
    checked over `count` days). A resource's removals stay together, as the runner re-runs the test that needed the
    resource's last one, unless they alone cost more than a part's share: then they go in even pieces of at most
    that share. The pieces, costliest first, each go to the cheapest part so far."""
    by_resource: dict[str, list[Statement]] = {}
    for variant in variants(lines):
        by_resource.setdefault(variant.resource, []).append(variant)
    share = math.ceil(sum(cost(v) for removals in by_resource.values() for v in removals) / count)
    pieces: list[list[Statement]] = []
    for removals in by_resource.values():
        per_piece = max(1, share // cost(removals[0]))
        size = math.ceil(len(removals) / math.ceil(len(removals) / per_piece))  # even pieces of at most `per_piece`
        pieces += [removals[start : start + size] for start in range(0, len(removals), size)]
    shares: list[list[Statement]] = [[] for _ in range(count)]
    costs = [0] * count
    weighed = [(sum(map(cost, piece)), piece) for piece in pieces]
    for weight, piece in sorted(weighed, key=lambda each: (-each[0], each[1][0].resource, each[1][0].lines.start)):
        cheapest = costs.index(min(costs))
        shares[cheapest] += piece
        costs[cheapest] += weight
    return [sorted(share, key=lambda v: (v.lines.start, v.action)) for share in shares]


def todays_part(count: int, today: datetime.date | None = None) -> int:
    """The part to check today: the day of the year, modulo the number of parts."""
    return _day_of_year(today) % count


def _day_of_year(today: datetime.date | None = None) -> int:
    return (today or datetime.date.today()).timetuple().tm_yday


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check-iam", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "resources", nargs="*", help="only the statements of these resources (logical ids); default: all"
    )
    parser.add_argument(
        "--action", default="", help="only the removal of this action (e.g. dynamodb:GetItem) from each statement"
    )
    parser.add_argument(
        "--statement",
        action="append",
        default=[],
        help="only the removals of this statement (its Sid, e.g. ReadFaultPlan); may be given again",
    )
    parser.add_argument(
        "--parts",
        type=int,
        default=0,
        help="check one of this many parts of the resources (CI: a part a day, all of them over that many days)",
    )
    parser.add_argument("--part", type=int, default=None, help="with --parts: this part (0-based); default: today's")
    arguments = parser.parse_args(argv)
    only = set(arguments.resources)
    root = Path(__file__).resolve().parents[2]
    lines = (root / TEMPLATE).read_text().splitlines(keepends=True)
    found = selected(lines, only, arguments.action, frozenset(arguments.statement))
    if arguments.parts:
        if only:
            parser.error("give resources or --parts, not both")
        part = todays_part(arguments.parts) if arguments.part is None else arguments.part
        if not 0 <= part < arguments.parts:
            parser.error(f"--part {part}: the parts are 0 to {arguments.parts - 1}")
        todays = parts(lines, arguments.parts)[part]
        found = [variant for variant in found if variant in todays]
        only = {variant.resource for variant in todays}
        counts = ", ".join(f"{r} ({sum(v.resource == r for v in todays)})" for r in sorted(only))
        print(
            f"check-iam: part {part} of 0-{arguments.parts - 1} (day {_day_of_year()} of the year): {counts}",
            flush=True,
        )
    if not found or only - {variant.resource for variant in found}:
        missing = sorted(only - {v.resource for v in found}) if only else "the template"
        named = f" named {' or '.join(arguments.statement)}" if arguments.statement else ""
        with_action = f" with {arguments.action}" if arguments.action else ""
        print(f"no policy statements{named}{with_action} in {missing}", file=sys.stderr)
        return 2
    surviving = []
    with tempfile.TemporaryDirectory(prefix="check-iam-") as work:
        copy = copy_project(root, Path(work))
        print(f"check-iam: {len(found)} statements and actions; first, the tests must pass with all ...", flush=True)
        runner = Runner(copy)
        if not passes_unchanged(runner, only):
            return 2
        for index, statement in enumerate(found, 1):
            (copy / TEMPLATE).write_text(without(lines, statement))
            stage = runner.failing_stage(statement.resource)
            verdict = f"needed (the {stage} tests fail without it)" if stage else "EXTRA: every test passes without it"
            print(f"[{index}/{len(found)}] {statement}: {verdict}", flush=True)
            if stage is None:
                surviving.append(statement)
    if surviving:
        print(f"\n{len(surviving)} grant(s) that no test needs: remove them, or add the test that needs them:")
        for statement in surviving:
            print(f"  - {statement}")
        return 1
    print(f"\nall {len(found)} statements and actions are needed: removing any one of them fails a test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
