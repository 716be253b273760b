"""Step Functions in moto (pinned: 5.2.5): parse definitions and JSONPaths once, not at every use.

1. Definitions.

``ExecutionWorker._get_evaluation_entrypoint`` runs moto's ANTLR parser (pure Python) on the definition at
the start of every execution: about half of an execution's CPU when its steps are quick. The parsed
program is cached per definition text. Sharing it between executions is safe because an evaluation keeps
its state in its ``Environment``; the exceptions are Parallel and Map states (their components count
running branches and iterations), so a definition that has any is parsed every time, as before. Each
component's lazily drawn ``heap_key`` (the name of its slot in an environment's heap, e.g. a Retry's
attempt counter) is drawn before the program is shared, so concurrent executions cannot race to set it.

2. JSONPaths. ``ResultPath`` and every ``$.path`` reference call ``jsonpath_ng``'s ``parse``, which builds
a new PLY parser each time (~0.5 ms): a fifth of such an execution's CPU. Parsed paths are
immutable values: cached per path text in the two modules that parse them.
"""

from __future__ import annotations

import functools
import importlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from local_cloud.seams import Installation, SeamChanged, is_ours, replace, require_signature, require_source

_CACHE_SIZE = 64
_STATEFUL_STATE_TYPES = frozenset({"Parallel", "Map"})


def install_program_cache() -> Installation:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_entrypoint
    require_signature(original, ["self"], "ExecutionWorker._get_evaluation_entrypoint")
    require_source(
        original,
        ["AmazonStateLanguageParser.parse(self._evaluation_details.state_machine_details.definition)[0]"],
        "ExecutionWorker._get_evaluation_entrypoint",
    )
    if not isinstance(getattr(EvalComponent, "heap_key", None), property):
        raise SeamChanged("EvalComponent.heap_key is no longer a property: moto changed this seam")
    cache: OrderedDict[str, Any] = OrderedDict()
    lock = threading.Lock()

    def _get_evaluation_entrypoint(self: Any) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            program = cache.get(definition)
            if program is not None:
                cache.move_to_end(definition)
                return program
        program = original(self)
        if not shareable(definition):
            return program
        _draw_heap_keys(program, EvalComponent)
        with lock:
            cache[definition] = program
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        return program

    return Installation([replace(ExecutionWorker, "_get_evaluation_entrypoint", _get_evaluation_entrypoint)])


def shareable(definition: str) -> bool:
    """Whether executions may share one parsed program: no Parallel or Map state, at any depth."""
    try:
        document = json.loads(definition)
    except ValueError:
        return False
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("Type") in _STATEFUL_STATE_TYPES:
                return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _draw_heap_keys(root: Any, component_class: type) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, component_class):
            _ = node.heap_key  # type: ignore[attr-defined]
        if isinstance(node, list | tuple | set | frozenset):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif hasattr(node, "__dict__") and type(node).__module__.startswith("moto.stepfunctions."):
            stack.extend(vars(node).values())


_JSONPATH_USERS = (
    ("moto.stepfunctions.parser.asl.utils.json_path", "jsonpath_ng.ext"),
    ("moto.stepfunctions.parser.asl.component.common.path.result_path", "jsonpath_ng"),
)


def install_jsonpath_cache() -> Installation:
    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    undo = []
    cached_parsers: dict[str, Callable[[str], Any]] = {}
    for module_name, parser_module in _JSONPATH_USERS:
        module = importlib.import_module(module_name)
        parse: Callable[[str], Any] = getattr(importlib.import_module(parser_module), "parse")  # noqa: B009
        used = getattr(module, "parse", None)
        if used is not parse and not (is_ours(used) and getattr(used, "__wrapped__", None) is parse):
            raise SeamChanged(f"{module_name} no longer uses {parser_module}.parse: moto changed this seam")
        if parser_module not in cached_parsers:  # a 2nd install caches anew
            cached_parsers[parser_module] = functools.lru_cache(maxsize=1024)(parse)
        undo.append(replace(module, "parse", cached_parsers[parser_module]))
    # EventBridge's targets: moto's EventTemplateParser imports jsonpath_ng.ext's parse at each call, and parses the
    # eight paths of the default input template for every target of every event put or replayed.
    require_source(EventTemplateParser.parse, ["from jsonpath_ng.ext import parse"], "EventTemplateParser.parse")
    undo.append(replace(jsonpath_ng.ext, "parse", cached_parsers["jsonpath_ng.ext"]))
    return Installation(undo)
