"""WSGI type aliases (PEP 3333), spelled out so mypy checks the middleware without _typeshed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIEnvironment = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
