"""docs/local-cloud-seams.md tells the truth about the seams: it lists every attribute the local cloud patches on
moto (read from the code), each seam's name is one ``install_all`` knows and its attribute the one that seam
replaces, each guarding test exists, and every speed seam has its measurement (``python -m local_cloud.measure``),
which runs."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_cloud import measure

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "local-cloud-seams.md").read_text(encoding="utf-8")
SEAM = re.compile(r"^### `(?P<name>\w+)` \((?P<kind>[a-z, ]+)\)$", re.MULTILINE)
REPLACES = re.compile(r"^- \*\*Replaces\*\* (?P<targets>.+?)(?=^- \*\*)", re.MULTILINE | re.DOTALL)
GUARDS = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def seams() -> dict[str, dict[str, Any]]:
    """name -> {kind, targets, text} of every seam the page describes."""
    found = {}
    matches = list(SEAM.finditer(PAGE))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        text = PAGE[match.end() : following.start() if following else len(PAGE)]
        replaces = REPLACES.search(text)
        assert replaces, f"{match['name']}: no **Replaces** line"
        found[match["name"]] = {
            "kind": set(match["kind"].split(", ")),
            "targets": re.findall(r"`([^`]+)`", replaces["targets"]),
            "text": text,
        }
    return found


def patched_in_code(folder: str = "local_cloud") -> Iterator[str]:
    """The attribute (or environment variable) of every replace()/add()/set_environ() call in infra/<folder>."""
    for path in (ROOT / "infra" / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]:
            constants = {
                target.id: node.value.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for call in [node for node in ast.walk(function) if isinstance(node, ast.Call)]:
                name = getattr(call.func, "id", None)
                if name in ("replace", "add") and len(call.args) == 3:
                    argument = call.args[1]
                elif name == "set_environ":
                    argument = call.args[0]
                else:
                    continue
                value = argument.value if isinstance(argument, ast.Constant) else constants[getattr(argument, "id", "")]
                yield str(value)


def test_every_patch_in_the_code_is_on_the_page() -> None:
    listed = {target.rpartition(".")[2].strip('"[]') for seam in seams().values() for target in seam["targets"]}
    missing = set(patched_in_code()) - listed
    assert not missing, f"patched in infra/local_cloud but not in docs/local-cloud-seams.md: {sorted(missing)}"


def test_every_patch_of_the_simulators_own_is_on_the_page() -> None:
    """The simulator's own patches on moto and botocore are listed in the page's introduction, with their tests."""
    introduction = PAGE[: SEAM.search(PAGE).start()]  # type: ignore[union-attr]
    listed = {target.rpartition(".")[2] for target in re.findall(r"`((?:moto|botocore)\.[\w.]+)`", introduction)}
    patched = set(patched_in_code("simulator"))
    assert patched, "no patch found in infra/simulator"
    assert patched <= listed, f"patched in infra/simulator but not on the page: {sorted(patched - listed)}"
    for path, test in GUARDS.findall(introduction):
        assert re.search(rf"^def {test}\(", (ROOT / path).read_text(encoding="utf-8"), re.MULTILINE), (path, test)


def test_each_seam_has_a_kind_and_a_guarding_test_that_exists() -> None:
    for name, seam in seams().items():
        assert seam["kind"] <= {"fidelity", "speed", "memory"}, name
        guards = GUARDS.findall(seam["text"])
        assert guards, f"{name}: no guarding test named"
        for path, test in guards:
            assert re.search(rf"^def {test}\(", (ROOT / path).read_text(encoding="utf-8"), re.MULTILINE), (path, test)


def test_every_speed_seam_has_its_measurement_and_figure() -> None:
    measured = {m.seam: m for m in measure.measurements()}
    speed = {name for name, seam in seams().items() if "speed" in seam["kind"]}
    assert speed == set(measured)
    for name in speed:
        assert measured[name].replaced in seams()[name]["targets"], name
        assert re.search(r"\*\*Figure\*\* .*\d+ %", seams()[name]["text"]), f"{name}: no figure"


def test_every_memory_seam_has_its_figure() -> None:
    memory = {name: seam for name, seam in seams().items() if "memory" in seam["kind"]}
    assert memory, "no memory seam on the page"
    for name, seam in memory.items():
        assert re.search(r"\*\*Figure\*\* .*\d KB", seam["text"], re.DOTALL), f"{name}: no figure"


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    with measure.in_process_cloud() as in_process_runner:
        yield in_process_runner


@pytest.mark.parametrize("measurement", measure.measurements(), ids=lambda m: m.seam)
def test_each_measurement_leaves_out_its_own_seam_only(runner: Any, measurement: measure.Measurement) -> None:
    """``install_all(without={seam})`` leaves moto's attribute in place; with every seam it is ours."""
    with measure.installed(runner, measurement, seam_on=True):
        pass  # installed() checks the attribute is ours
    with measure.installed(runner, measurement, seam_on=False):
        others = [m for m in measure.measurements() if m.replaced != measurement.replaced]
        for other in others:
            measure.check_replaced(other.replaced, seam_on=True)


def test_a_measurement_runs_and_compares_both_arms() -> None:
    [cheapest] = [m for m in measure.measurements() if m.seam == "module_list_cache"]
    result = measure.run(cheapest, rounds=2)
    assert len(result.with_ms) == len(result.without_ms) == 2
    assert all(ms > 0 for ms in [*result.with_ms, *result.without_ms])
    assert cheapest.seam in result.line()
