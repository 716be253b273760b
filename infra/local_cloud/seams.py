"""Helpers shared by every moto patch: install/undo handles and checks that a seam is still where a patch
expects it (a moto upgrade that moves one must fail loudly, not patch the wrong thing silently)."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable, Collection, Mapping
from typing import Any


class SeamChanged(RuntimeError):
    """moto no longer has the attribute or signature a patch relies on: re-check local_cloud's patches."""


class Installation:
    """Undo handle for installed patches; also a context manager."""

    def __init__(self, undo: list[Callable[[], None]]) -> None:
        self._undo = undo

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


def install_each(parts: Mapping[str, Callable[[], Installation]], without: Collection[str] = ()) -> Installation:
    """Install each seam of ``parts`` (name -> install) in order, but those named in ``without`` (a measurement
    compares an operation with and without one seam). If one fails, those already installed are undone."""
    installed: list[Callable[[], None]] = []
    try:
        for name, install in parts.items():
            if name not in without:
                installed.append(install().uninstall)
    except BaseException:
        Installation(installed).uninstall()
        raise
    return Installation(installed)


def replace(owner: Any, name: str, value: Any) -> Callable[[], None]:
    """Set ``owner.name`` to ``value``; returns the undo (which deletes it again if a class only inherited
    it). Raises SeamChanged if ``owner`` has no such attribute at all."""
    if not hasattr(owner, name):
        raise SeamChanged(f"{owner!r} has no attribute {name!r}: moto changed this seam")
    inherited = isinstance(owner, type) and name not in owner.__dict__
    original = None if inherited else (owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name))

    def undo() -> None:
        if inherited:
            delattr(owner, name)
        else:
            setattr(owner, name, original)

    _mark(value)
    setattr(owner, name, value)
    return undo


def replace_url_path(paths: dict[str, Any], path: str, handler: Callable[..., Any], where: str) -> Callable[[], None]:
    """Serve moto's URL ``path`` (a key of a service's ``url_paths``) with ``handler``; returns the undo. moto reads
    the table when it builds the service's app, on its first request: install before serving."""
    if path not in paths:
        raise SeamChanged(f"{where} no longer serves {path!r}: moto changed this seam")
    original = paths[path]
    paths[path] = handler

    def undo() -> None:
        paths[path] = original

    return undo


def set_environ(name: str, value: str) -> Callable[[], None]:
    """Set an environment variable moto reads at request time; returns the undo."""
    previous = os.environ.get(name)
    os.environ[name] = value

    def undo() -> None:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous

    return undo


def _mark(value: Any) -> None:
    target = getattr(value, "__func__", value)  # a classmethod's function
    with contextlib.suppress(AttributeError, TypeError):  # not a function: nothing to check on it later
        target.__local_cloud_patch__ = True


def is_ours(func: Any) -> bool:
    """Whether ``func`` is one of local_cloud's replacements: a second install (a LocalCloud already
    running in this process) finds its own patch where moto's original was, and checks nothing on it."""
    return bool(getattr(getattr(func, "__func__", func), "__local_cloud_patch__", False))


def require_signature(func: Any, expected: list[str], where: str) -> None:
    if is_ours(func):
        return
    actual = list(inspect.signature(func).parameters)
    if actual != expected:
        raise SeamChanged(f"{where} now takes {actual}, local_cloud expects {expected}: moto changed this seam")


def require_source(func: Any, fragments: list[str], where: str) -> None:
    """For patches that rely on how a function works inside, not only on its signature."""
    if is_ours(func):
        return
    source = "".join(inspect.getsource(func).split())  # whitespace-free: reformatting is not a change
    for fragment in fragments:
        if "".join(fragment.split()) not in source:
            raise SeamChanged(f"{where} no longer contains {fragment!r}: moto changed this seam")


def add(owner: Any, name: str, value: Any) -> Callable[[], None]:
    """Give ``owner`` an attribute moto lacks (an operation it does not implement); returns the undo. Raises
    SeamChanged if ``owner`` has it already: moto implements it now, and this seam must go."""
    if hasattr(owner, name):
        raise SeamChanged(f"{owner!r} has {name!r} now: moto implements it, remove this seam")
    _mark(value)
    setattr(owner, name, value)
    return lambda: delattr(owner, name)
