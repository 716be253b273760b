"""make check-iam's reading of template.yaml: which statements and actions it removes, and what it leaves."""

import datetime
from pathlib import Path

import pytest

from checks.check_iam import (
    END_TO_END_COST,
    END_TO_END_ONLY,
    cost,
    parts,
    selected,
    statements,
    todays_part,
    variants,
    without,
)

ROOT = Path(__file__).resolve().parents[2]


def _lines() -> list[str]:
    return (ROOT / "template.yaml").read_text().splitlines(keepends=True)


@pytest.fixture
def plain_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's pytest processes without the installed plugins (0.8 s each): the suites these tests write for it
    are plain functions, and what is tested is which suites it runs, and in what order."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_every_function_and_the_state_machine_have_statements_to_remove() -> None:
    resources = {statement.resource for statement in statements(_lines())}
    assert {"CreateOrderFunction", "RefundPaymentFunction", "ApiFunction", "CheckoutStateMachine"} <= resources
    fence = [s for s in statements(_lines()) if (s.resource, s.name) == ("RefundPaymentFunction", "FenceOrder")]
    assert len(fence) == 1


def test_removing_a_statement_removes_its_lines_only() -> None:
    lines = _lines()
    fence = next(s for s in statements(lines) if (s.resource, s.name) == ("RefundPaymentFunction", "FenceOrder"))
    removed = without(lines, fence)
    assert removed.count("Sid: FenceOrder") == "".join(lines).count("Sid: FenceOrder") - 1
    assert removed.count("Sid: RefundPayment\n") == 1
    assert len(removed.splitlines()) == len(lines) - len(fence.lines)


def test_removing_an_action_keeps_the_others_of_its_statement() -> None:
    lines = _lines()
    variant = next(
        v
        for v in variants(lines)
        if (v.resource, v.name, v.action) == ("MarkCompensationFailedFunction", "MarkOrder", "dynamodb:PutItem")
    )
    removed = without(lines, variant)
    mark = removed.split("MarkCompensationFailedFunction:", 1)[1]
    block = mark.split("Sid: MarkOrder", 1)[1].split("Sid:", 1)[0]
    assert "Action: [dynamodb:GetItem, dynamodb:UpdateItem]" in block
    assert len(removed.splitlines()) == len(lines)


@pytest.mark.slow  # pytest processes
@pytest.mark.usefixtures("plain_pytest")
def test_the_runner_tries_a_resources_last_failed_test_alone_first(tmp_path: Path) -> None:
    from checks.check_iam import Runner

    runs = tmp_path / "runs.log"
    for suite in ("statemachine", "api", "e2e"):
        (tmp_path / "tests" / suite).mkdir(parents=True)
    (tmp_path / "tests" / "statemachine" / "test_paths.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_first():\n    Path('runs.log').open('a').write('first\\n')\n\n\n"
        "def test_needs_grant():\n    Path('runs.log').open('a').write('needs\\n')\n    assert Path('grant').exists()\n"
    )
    for suite in ("api", "e2e"):
        (tmp_path / "tests" / suite / "test_ok.py").write_text("def test_ok():\n    pass\n")
    runner = Runner(tmp_path)

    assert runner.failing_stage("SomeFunction") == "in-process"
    assert runs.read_text().split() == ["first", "needs"]
    runs.unlink()
    assert runner.failing_stage("SomeFunction") == "in-process"
    assert runs.read_text().split() == ["needs"]  # the remembered test alone
    runs.unlink()
    (tmp_path / "grant").touch()
    assert runner.failing_stage("SomeFunction") is None  # it passes: every stage runs, and passes
    assert runs.read_text().split() == ["needs", "first", "needs"]


@pytest.mark.slow  # pytest processes
@pytest.mark.usefixtures("plain_pytest")
def test_the_choreographys_functions_are_checked_end_to_end_only(tmp_path: Path) -> None:
    from checks.check_iam import CHOREOGRAPHY_FIRST, Runner

    for suite in ("statemachine", "api", "e2e"):
        (tmp_path / "tests" / suite).mkdir(parents=True)
        (tmp_path / "tests" / suite / f"test_{suite}.py").write_text(
            f"from pathlib import Path\n\n\ndef test_{suite}():\n    Path('runs.log').open('a').write('{suite}\\n')\n"
        )
    for first in CHOREOGRAPHY_FIRST:
        writes = f"Path('runs.log').open('a').write('{Path(first).stem}\\n')"
        (tmp_path / first).write_text(f"from pathlib import Path\n\n\ndef test_it():\n    {writes}\n")
    runner = Runner(tmp_path)
    runs = tmp_path / "runs.log"

    assert runner.failing_stage("InventoryServiceFunction") is None
    assert runs.read_text().split() == [*(Path(first).stem for first in CHOREOGRAPHY_FIRST), "e2e"]  # each once
    runs.unlink()
    everything = sorted(["e2e", *(Path(first).stem for first in CHOREOGRAPHY_FIRST)])
    assert runner.baseline({"InventoryServiceFunction", "StalledSagaTimerFunction"}) is None  # their baseline too
    assert sorted(runs.read_text().split()) == everything
    runs.unlink()
    assert runner.baseline({"InventoryServiceFunction", "ChargePaymentFunction"}) is None
    assert runs.read_text().split()[:2] == ["statemachine", "api"]
    runs.unlink()
    assert runner.baseline(set()) is None  # every resource's
    assert runs.read_text().split()[:2] == ["statemachine", "api"]


@pytest.mark.slow  # pytest processes
@pytest.mark.usefixtures("plain_pytest")
def test_a_failing_baseline_is_shown_and_run_again_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from checks.check_iam import Runner, passes_unchanged

    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    (tmp_path / "tests" / "e2e" / "test_flaky.py").write_text(  # fails on its first run only
        "from pathlib import Path\n\n\ndef test_flaky():\n"
        "    seen = Path('seen').exists()\n    Path('seen').touch()\n    assert seen, 'the first run fails'\n"
    )
    assert passes_unchanged(Runner(tmp_path), {"PaymentsServiceFunction"})
    shown = capsys.readouterr().err
    assert "AssertionError: the first run fails" in shown
    assert "FAILED tests/e2e/test_flaky.py::test_flaky" in shown
    assert "the failure above is a flaky test's" in shown

    (tmp_path / "tests" / "e2e" / "test_flaky.py").write_text("def test_broken():\n    assert 1 == 2\n")
    assert not passes_unchanged(Runner(tmp_path), {"PaymentsServiceFunction"})
    shown = capsys.readouterr().err
    assert shown.count("FAILED tests/e2e/test_flaky.py::test_broken") == 2
    assert shown.endswith("fix them first\n")


def test_one_action_can_be_checked_alone() -> None:
    chosen = selected(_lines(), {"MarkCompensationFailedFunction", "ReleaseStockFunction"}, "dynamodb:PutItem")

    assert {(v.resource, v.name, v.action) for v in chosen} == {
        ("MarkCompensationFailedFunction", "MarkOrder", "dynamodb:PutItem"),
        ("ReleaseStockFunction", "ReleaseStock", "dynamodb:PutItem"),
    }
    assert len(selected(_lines(), {"MarkCompensationFailedFunction"})) > len(chosen)


def test_one_statement_can_be_checked_alone() -> None:
    chosen = selected(_lines(), {"PaymentsServiceFunction"}, statements=frozenset({"ConsumeEvents"}))

    assert [str(v) for v in chosen] == [
        "PaymentsServiceFunction: ConsumeEvents",
        *(
            f"PaymentsServiceFunction: ConsumeEvents / {action}"
            for action in (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            )
        ),
    ]
    assert [
        str(v) for v in selected(_lines(), {"PaymentsServiceFunction"}, statements=frozenset({"ReadFaultPlan"}))
    ] == [
        "PaymentsServiceFunction: ReadFaultPlan"  # a conditional statement: removed as a whole only
    ]
    both = selected(_lines(), {"PaymentsServiceFunction"}, statements=frozenset({"ReadFaultPlan", "ConsumeEvents"}))
    assert [str(v) for v in both] == [*(str(v) for v in chosen), "PaymentsServiceFunction: ReadFaultPlan"]


def test_a_statement_that_no_resource_has_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    from checks.check_iam import main

    assert main(["PaymentsServiceFunction", "--statement", "NoSuchSid"]) == 2
    assert "no policy statements named NoSuchSid in ['PaymentsServiceFunction']" in capsys.readouterr().err


@pytest.mark.slow  # pytest processes
@pytest.mark.usefixtures("plain_pytest")
def test_the_choreographys_own_tests_run_before_its_remembered_failure(tmp_path: Path) -> None:
    from checks.check_iam import CHOREOGRAPHY_FIRST, Runner

    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    for first in CHOREOGRAPHY_FIRST:
        writes = f"Path('runs.log').open('a').write('{Path(first).stem}\\n')"
        (tmp_path / first).write_text(f"from pathlib import Path\n\n\ndef test_it():\n    {writes}\n")
    (tmp_path / "tests" / "e2e" / "test_slow.py").write_text(  # a chaos round: slow, and fails without the grant
        "from pathlib import Path\n\n\ndef test_slow():\n"
        "    Path('runs.log').open('a').write('slow\\n')\n    assert Path('grant').exists()\n"
    )
    runner = Runner(tmp_path)
    runs, theirs = tmp_path / "runs.log", [Path(first).stem for first in CHOREOGRAPHY_FIRST]

    assert runner.failing_stage("PaymentsServiceFunction") == "end to end"
    assert runs.read_text().split() == [*theirs, "slow"]
    runs.unlink()
    assert runner.failing_stage("PaymentsServiceFunction") == "end to end"
    assert runs.read_text().split() == [*theirs, "slow"]  # theirs first, then the remembered one: once each


def test_the_parts_cover_every_removal_once_at_about_the_same_cost() -> None:
    lines = _lines()
    removals = list(variants(lines))
    shares = parts(lines, 8)

    assert sorted(map(str, (v for share in shares for v in share))) == sorted(map(str, removals))
    costs = [sum(map(cost, share)) for share in shares]
    assert max(costs) - min(costs) <= END_TO_END_COST
    # the choreography's removals, four times as dear, are spread: no day gets the whole of a service's
    end_to_end = [sum(v.resource in END_TO_END_ONLY for v in share) for share in shares]
    assert max(end_to_end) <= -(-sum(end_to_end) // 8) * 2


def test_each_day_of_a_cycle_checks_another_part() -> None:
    start = datetime.date(2026, 12, 1)
    assert [todays_part(4, start + datetime.timedelta(days=n)) for n in range(8)] == [3, 0, 1, 2, 3, 0, 1, 2]
