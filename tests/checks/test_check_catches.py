"""The mutation tool behind `make check-catches` removes exactly one Catch per variant, and sees them all."""

import json
import re

import pytest

from checks.check_catches import ASLS, NUMERIC, QUOTED_NUMERIC, ROOT, without_each_catch


@pytest.mark.parametrize("asl", ASLS, ids=lambda path: path.name)
def test_each_variant_lacks_exactly_one_catch_and_every_catch_gets_one(asl):
    definition = json.loads(NUMERIC.sub(r'\1"\2"', (ROOT / asl).read_text()))
    count = sum(len(state.get("Catch", [])) for state in definition["States"].values())

    variants = list(without_each_catch(definition))

    assert len(variants) == count >= 11
    for _description, mutated in variants:
        assert sum(len(state.get("Catch", [])) for state in mutated["States"].values()) == count - 1
    assert len({description for description, _ in variants}) == count


@pytest.mark.parametrize("asl", ASLS, ids=lambda path: path.name)
def test_numeric_placeholders_go_back_unquoted(asl):
    text = (ROOT / asl).read_text()
    definition = json.loads(NUMERIC.sub(r'\1"\2"', text))

    written = QUOTED_NUMERIC.sub(r"\1", json.dumps(definition, indent=2))

    unquoted = re.compile(r":\s*(\$\{\w+\})")
    assert sorted(unquoted.findall(written)) == sorted(unquoted.findall(text))  # every one, e.g. the timeout's
    assert '"${RetryIntervalSeconds}"' not in written
    assert '"Resource": "${' in written  # string substitutions (the functions' ARNs) stay strings


def test_the_tests_that_failed_before_run_alone_first_and_the_suite_only_when_they_pass():
    from checks.check_catches import FIRST_TRIED, Killers

    runs: list[list[str]] = []

    def suite_failing(*answers: str | None):
        """A run answering each of `answers` in turn (the failing test, or None: every test passed)."""
        remaining = list(answers)

        def run(paths: list[str]) -> str | None:
            runs.append(paths)
            return remaining.pop(0)

        return run

    killers = Killers()
    assert killers.catch(suite_failing("t1"))  # none known yet: the whole suite, and t1 failed
    assert killers.catch(suite_failing("t1"))  # t1 alone fails: caught without the suite
    assert killers.catch(suite_failing(None, "t2"))  # t1 passes: the suite, where t2 fails
    assert not killers.catch(suite_failing(None, None))  # both pass, and so does the suite: it survived
    for test in ("t3", "t4"):
        killers.catch(suite_failing(None, test))

    assert runs == [
        ["tests/statemachine"],
        ["t1"],
        ["t1"],
        ["tests/statemachine"],
        ["t2", "t1"],
        ["tests/statemachine"],
        ["t2", "t1"],
        ["tests/statemachine"],
        ["t3", "t2", "t1"],
        ["tests/statemachine"],
    ]
    assert killers.tests[:FIRST_TRIED] == ["t4", "t3", "t2"]  # the most recent first, at most FIRST_TRIED tried
