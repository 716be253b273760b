"""Which way imports may go, as pyproject.toml's [tool.importlinter] contracts say: the product imports no
tooling, the local cloud knows neither the product nor the tools that target it, the product's layers keep
their order. A broken contract fails this test with import-linter's report of each offending import chain."""

from __future__ import annotations

from pathlib import Path

import importlinter.api  # noqa: F401 - configures import-linter's adapters
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_is_kept() -> None:
    # The use case, not the command: the command reconfigures logging for the whole process (disabling the
    # loggers other tests read).
    kept = use_cases.lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, "an import contract is broken: see the report above"
