"""Unpacks deployment packages once per code hash, as Lambda does into /var/task."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path


class CodeStore:
    """A directory of unpacked packages, one subdirectory per code hash. Thread-safe."""

    def __init__(self, root: Path | None = None) -> None:
        self._owned = root is None
        self.root = Path(tempfile.mkdtemp(prefix="local-cloud-code-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def ensure(self, code_sha: str, code_bytes: bytes) -> Path:
        """The directory holding this package's files, unpacking it on first use."""
        # A sha is hex or base64 (moto uses base64 of sha256): make it a safe directory name.
        key = re.sub(r"[^A-Za-z0-9_-]", "_", code_sha) or hashlib.sha256(code_bytes).hexdigest()
        target = self.root / key
        if target.is_dir():  # fast path, no lock: the directory only appears complete (rename below)
            return target
        with self._lock:
            if target.is_dir():
                return target
            staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.root))
            try:
                with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
                    archive.extractall(staging)  # zipfile strips absolute paths and ".." itself
                os.rename(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return target

    def close(self) -> None:
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)
