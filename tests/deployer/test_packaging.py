"""Lambda packages: the CodeUri directory zipped reproducibly, and with --with-dependencies
its requirements installed for Lambda's Linux CPython (downloaded once, then cached)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from deployer.packaging import Packager, zip_trees
from tests.deployer.conftest import ROOT


def names(archive: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(archive)).namelist()


def test_zip_is_reproducible_and_leaves_out_bytecode(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "stray.pyc").write_bytes(b"\0")
    first = zip_trees([tmp_path])
    (tmp_path / "pkg" / "mod.py").touch()  # a new mtime alone changes nothing
    assert zip_trees([tmp_path]) == first
    assert names(first) == ["pkg/mod.py"]


def test_default_package_is_the_code_directory_only(tmp_path: Path) -> None:
    packager = Packager(tmp_path / "cache", with_dependencies=False, log=lambda _: None)
    archive = packager.package(ROOT / "functions", runtime="python3.11")
    listed = names(archive)
    assert "checkout_saga/__init__.py" in listed
    assert not any(name.startswith(("pydantic/", "aws_lambda_powertools/")) for name in listed)
    assert not any("__pycache__" in name for name in listed)
    assert packager.package(ROOT / "functions", runtime="python3.11") is archive  # built once per deploy


@pytest.mark.slow
def test_with_dependencies_installs_linux_cpython_311_wheels_once(project: Path) -> None:
    # The cache lives where `make` keeps it (.aws-sam/, git-ignored), so the download happens once.
    cache = ROOT / ".aws-sam" / "deployer-cache"
    log: list[str] = []
    code = project / "functions"  # a copy: the two packages below must see the same sources
    archive = Packager(cache, with_dependencies=True, log=log.append).package(code, runtime="python3.11")
    listed = names(archive)
    assert "checkout_saga/__init__.py" in listed
    assert "aws_lambda_powertools/__init__.py" in listed
    assert any(
        name.startswith("pydantic_core/") and name.endswith("cpython-311-x86_64-linux-gnu.so") for name in listed
    )

    again: list[str] = []
    second = Packager(cache, with_dependencies=True, log=again.append).package(code, runtime="python3.11")
    assert again == []  # served from the cache, pip not run
    assert second == archive
