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
