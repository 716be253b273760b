"""Which way imports may go, as pyproject.toml's [tool.importlinter] contracts say: the product imports no
tooling, the local cloud knows neither the product nor the tools that target it, the product's layers keep
their order. A broken contract fails this test with import-linter's report of each offending import chain."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_is_kept() -> None:
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert exit_code == 0, "an import contract is broken: see the report above"
