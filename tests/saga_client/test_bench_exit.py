"""`make bench` is a benchmark, not a test: a missed target is reported and the exit code stays 0, unless
--strict asks to gate on the targets."""

import json
from typing import Any

import pytest

from saga_client import bench


def fake_report(holds: bool) -> dict[str, Any]:
    return {"conditions": {}, "targets": [{"name": "throughput", "holds": holds}]}


@pytest.mark.parametrize(
    ("holds", "strict", "code"), [(True, False, 0), (False, False, 0), (True, True, 0), (False, True, 3)]
)
def test_the_exit_code_gates_on_targets_only_when_strict(monkeypatch, tmp_path, capsys, holds, strict, code):
    monkeypatch.setattr(bench, "run_bench", lambda _options: fake_report(holds))
    monkeypatch.setattr(bench, "render_table", lambda report: "table")
    path = tmp_path / "report.json"

    assert bench.main(bench.BenchOptions(port=0), path, strict=strict) == code

    assert json.loads(path.read_text())["targets"][0]["holds"] is holds
    assert ("target(s) missed" in capsys.readouterr().err) is not holds
