"""Lambda deployment packages: a zip of the CodeUri directory, optionally with its
requirements installed for the Lambda platform (LocalStack's and AWS's runtimes only
have boto3; the local cloud runs handlers with the venv's interpreter instead)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

from .errors import DeployError, TemplateError

_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
# Fixed timestamp: the same sources give the same bytes, hence the same CodeSha256,
# so a re-deploy of unchanged code is recognised and skipped.
_EPOCH = (1980, 1, 1, 0, 0, 0)


class Packager:
    def __init__(
        self,
        cache_dir: Path,
        *,
        with_dependencies: bool,
        log: Callable[[str], None],
    ) -> None:
        self.cache_dir = cache_dir
        self.with_dependencies = with_dependencies
        self._log = log
        self._built: dict[tuple[Path, str, str], bytes] = {}

    def package(self, source: Path, *, runtime: str, architecture: str = "x86_64") -> bytes:
        """Zip bytes for a function whose CodeUri is `source` (many functions share one)."""
        key = (source, runtime, architecture)
        if key not in self._built:
            self._built[key] = self._build(source, runtime, architecture)
        return self._built[key]

    def _build(self, source: Path, runtime: str, architecture: str) -> bytes:
        if source.is_file():
            if not zipfile.is_zipfile(source):
                raise TemplateError(f"CodeUri {source} is a file but not a zip archive")
            return source.read_bytes()
        roots = [source]
        requirements = source / "requirements.txt"
        if self.with_dependencies and requirements.is_file():
            roots.insert(0, self.dependencies(requirements, runtime, architecture))
        return zip_trees(roots)

    def dependencies(self, requirements: Path, runtime: str, architecture: str) -> Path:
        """A directory with `requirements` installed for Lambda's Linux CPython, built once
        per requirements content, Python version and platform."""
        if not runtime.startswith("python3."):
            raise TemplateError(f"--with-dependencies supports Python runtimes only, not {runtime}")
        python_version = runtime.removeprefix("python")
        platform = _PLATFORMS.get(architecture)
        if platform is None:
            raise TemplateError(f"unknown Lambda architecture {architecture!r}")
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
        target = self.cache_dir / f"deps-{digest}-py{python_version}-{platform}"
        if target.is_dir():
            return target
        self._log(f"  installing {requirements} for {runtime} {platform} (cached in {target})")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="deps-", dir=self.cache_dir))
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--platform", platform, "--implementation", "cp",
            "--python-version", python_version, "--only-binary=:all:",
            "--target", str(staging), "-r", str(requirements),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise DeployError(f"pip could not install {requirements} for {platform}: {detail}")
        try:
            os.replace(staging, target)  # atomic: a concurrent build never sees half a cache
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process finished first
        return target


def zip_trees(roots: list[Path]) -> bytes:
    """Deterministic zip of the files under `roots`; a later root wins on equal paths."""
    files: dict[str, Path] = {}
    for root in roots:
        for path in _files(root):
            files[path.relative_to(root).as_posix()] = path
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            path = files[name]
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _files(root: Path) -> Iterator[Path]:
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        for name in sorted(names):
            if not name.endswith(_SKIPPED_SUFFIXES):
                yield Path(directory, name)
