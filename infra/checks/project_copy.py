"""A throw-away copy of the project for checks that mutate it (a Catch, a policy statement) and run its tests."""

from __future__ import annotations

import shutil
from pathlib import Path

COPIED = (
    "functions",
    "infra",
    "statemachine",
    "tests",
    "events",
    "template.yaml",
    "samconfig.toml",
    "pyproject.toml",
    "openapi.json",
    "README.md",
    "Makefile",
)


def copy_project(root: Path, destination: Path) -> Path:
    """Copy what the tests need from ``root`` into ``destination`` (an existing, empty directory)."""
    for name in COPIED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination
