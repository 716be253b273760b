"""What the local cloud keeps, per AWS service: the bytes of the objects each of moto's service backends holds (its
tables' items, queues' messages, log events, metric data, executions...), as `sys.getsizeof` counts them, each
object once. `GET /_local_cloud/health?stored=1` adds it to the health document; `make bench SUSTAINED=...` asks
for it at the start and at the end, so that the server's growth can be told apart from what it stores (which AWS
keeps too: a table's items, its stream's records for a day, log events, metrics).

The walk holds the GIL for as long as it takes (about a second per 100 MB held): ask for it between measurements."""

from __future__ import annotations

import gc
import sys
import types
from typing import Any

from moto.core.base_backend import BaseBackend

# The services a checkout's stack uses that keep data as it runs; moto's names.
SERVICES = ("dynamodb", "dynamodbstreams", "events", "sqs", "stepfunctions", "logs", "cloudwatch", "lambda", "sns")
# Shared structure, not a backend's data: never followed.
_NOT_DATA = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def stored_bytes(services: tuple[str, ...] = SERVICES) -> dict[str, int]:
    """Bytes held by each service's backends (every account and region moto serves), an object they share counted
    for the first service that reaches it. The Step Functions figure includes the ASL interpreter's backends."""
    seen: set[int] = set()
    backends = {service: _backends(service) for service in services}
    # A backend may hold another service's (Step Functions its logs'): each is walked as its own service's only.
    for own in backends.values():
        seen.update(id(backend) for backend in own)
    sizes = {}
    for service, own in backends.items():
        sizes[service] = 0
        for backend in own:
            seen.discard(id(backend))
            sizes[service] += _size(backend, seen)
    return sizes


def _backends(service: str) -> list[Any]:
    from moto.backends import get_backend

    dicts = [get_backend(service)]  # type: ignore[call-overload]
    if service == "stepfunctions":
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        dicts.append(stepfunctions_parser_backends)
    return [
        backend
        for backend_dict in dicts
        for regions in list(backend_dict.values())
        for backend in list(regions.values())
    ]


def _size(root: Any, seen: set[int]) -> int:
    size, pending = 0, [root]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, _NOT_DATA) or (item is not root and isinstance(item, BaseBackend)):
            continue
        seen.add(id(item))
        size += sys.getsizeof(item)
        pending.extend(gc.get_referents(item))
    return size
