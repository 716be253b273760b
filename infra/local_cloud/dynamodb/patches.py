"""DynamoDB in moto (pinned: 5.2.5), made atomic and O(touched items) per transaction.

1. ``DynamoHandler.call_action``: every DynamoDB request runs under one lock (and then keeps the GSI
   indexes of gsi_index current), metered as AWS would bill it (usage). moto's server serves each
   request on its own thread and a conditional write is a read, a check and a write in Python: two
   concurrent ``available >= :q`` decrements could both pass their check. DynamoDB makes each request
   (and each transaction) atomic; so does this lock.
2. ``DynamoDBBackend.transact_write_items``: moto backs up every table a transaction touches with
   ``copy.deepcopy(table)`` before each of its operations, so a transaction costs O(items stored) and slows
   down as items pile up (about 50 ms for 3 items over tables of 500, docs/local-cloud-seams.md). Here the
   transaction snapshots only the items it names and restores those on failure; the table copies become
   the tables themselves (so moto's own rollback is a no-op). Safe under the lock of (1). The stream records
   its writes added before the failing item are dropped too: on AWS a cancelled transaction streams nothing.
3. ``UpdateExpressionParser.make``: an update expression is tokenised and parsed twice per UpdateItem
   (once to check its placeholders, once to run it), ~0.6 ms each for a transition appended to a log. The AST
   is cached per expression text: every user either only reads it or works on its own deep copy (the validator).
4. ``DynamoResult`` serialisation: moto builds every DynamoDB response through its generic, model-driven
   serializer, attribute by attribute (most of a GetItem's server time for an item holding a list of maps). A
   DynamoDB result is already in its wire form (AttributeValue maps); when it holds only JSON types and
   only the operation's output members, it is written with ``json.dumps``; anything else (binary values,
   timestamps, a pretty-printing setting) still goes through moto's serializer.
5. ``UpdateExpressionValidator.validate``: ten passes over the expression's AST per UpdateItem (two for a
   new item). Three of them are checks that depend only on the expression, its attribute names and the
   table's key attributes (at most one clause of each kind, no overlapping paths, no key update), and one
   of those is quadratic in the AST. Once they passed for a given parsed expression (see 3), names and
   keys, later validations skip them; the passes that read values and the item always run.
6. GSI queries answered from a sorted index: see gsi_index.
7. ``validators.deepcopy``: every UpdateItem's validator starts with ``copy.deepcopy`` of the cached AST
   (see 3), the largest single cost of an UpdateItem in the server (about an eighth of its time under load,
   measured with py-spy). An AST node holds only its ``type`` (a string), its ``children`` and its
   ``parent``: the copy clones nodes directly and hands anything else to ``copy.deepcopy``, so the result
   is the same tree, its parent links pointing into the copy.
8. ``DynamoHandler.call_action`` again, around (1): a write beyond a partition key's throughput is throttled
   before it runs, as DynamoDB throttles a hot key: see partition_throughput.
9. ``ConditionExpressionParser.parse``: a condition is lexed and parsed two or three times per request (once to
   check its placeholders, once to run it, once more inside a transaction), each time token by token through
   regular expressions. The parsed condition is cached per expression text and the names and values the text
   can refer to (the parser looks up only placeholders it read from the text), parsed over private copies of
   them: the condition only evaluates, and hands out no value it holds but immutable ones or new containers. A
   condition moto refuses is never cached: it is parsed again, and refused as moto refuses it.
10. ``DepthFirstTraverser.traverse``: the validator's passes (seven at every UpdateItem) each walk the whole
   update expression's AST, and at every node ask two isinstance questions of moto's abstract node classes and
   rebuild the pass's map of node types (a dict, then a tuple). The walk here is moto's, node for node and in
   the same order (the same hook before each child, the same processing and re-linking); the pass's node types
   are read once per walk (every pass's map has fixed keys) and both answers once per node class and set of types.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import math
import threading
import types
from collections.abc import Collection
from typing import Any

from local_cloud.dynamodb import item_limits
from local_cloud.dynamodb.batch_writes import install_atomic_batch_writes
from local_cloud.dynamodb.gsi_index import IN_REQUEST, INDEXES, install_indexed_queries
from local_cloud.dynamodb.item_limits import install_item_limits, remember_copy
from local_cloud.dynamodb.item_rollback import restore, snapshot, stream_lengths, unstream
from local_cloud.dynamodb.partition_throughput import (
    PartitionBuckets,
    lowered_tables,
    partition_wcu_limit,
    throttled_response,
)
from local_cloud.dynamodb.usage import caller_name, metered
from local_cloud.seams import (
    Installation,
    SeamChanged,
    install_each,
    is_ours,
    replace,
    require_signature,
    require_source,
)
from local_cloud.usage_meter import USAGE

# Re-entrant: a patched transaction calls the backend's own put/update/delete.
DYNAMODB_LOCK = threading.RLock()
_no_table_copies = threading.local()


def install_request_lock() -> Installation:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.__dict__.get("call_action")
    if original is None:
        raise SeamChanged("moto.dynamodb.responses.DynamoHandler.call_action is gone: moto changed this seam")
    require_signature(original, ["self"], "DynamoHandler.call_action")

    def call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            IN_REQUEST.active = True
            try:
                return metered(self, lambda: original(self))
            finally:
                IN_REQUEST.active = False
                INDEXES.after_request(self)

    return Installation([replace(DynamoHandler, "call_action", call_action)])


PARTITIONS: list[PartitionBuckets] = []  # the buckets in force (the last installed), read by tests


def install_partition_throughput() -> Installation:
    from moto.dynamodb.responses import DynamoHandler

    locked = DynamoHandler.__dict__.get("call_action")
    if locked is None:
        raise SeamChanged("moto.dynamodb.responses.DynamoHandler.call_action is gone: moto changed this seam")
    require_signature(locked, ["self"], "DynamoHandler.call_action")
    buckets = PartitionBuckets(partition_wcu_limit(), tables=lowered_tables())

    def call_action(self: Any) -> Any:
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        params = getattr(self, "params", None)
        body = params if isinstance(params, dict) else {}
        with DYNAMODB_LOCK:  # the items' sizes are read, and the units taken, as the write runs: atomically
            refusal = throttled_response(self.dynamodb_backend, operation, body, buckets)
            if refusal is not None:
                USAGE.add_dynamodb_throttle(caller_name(self), operation)
                return refusal
            return locked(self)

    PARTITIONS.append(buckets)

    def forget() -> None:
        PARTITIONS.remove(buckets)

    return Installation([replace(DynamoHandler, "call_action", call_action), forget])


class _CopyModule(types.ModuleType):
    """Stands in for the ``copy`` module inside moto.dynamodb.models: ``deepcopy(table)`` returns the table
    itself while a patched transaction runs on this thread; everything else is the real ``copy``."""

    def __init__(self, table_class: type) -> None:
        super().__init__("copy")
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_class) and getattr(_no_table_copies, "active", False):
            return value
        copied = copy.deepcopy(value, memo)
        remember_copy(value, copied)  # item_limits puts an update's original back from moto's own copy
        return copied

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install_item_level_transactions() -> Installation:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    require_signature(original, ["self", "transact_items"], "DynamoDBBackend.transact_write_items")
    require_source(
        original,
        [
            "original_table_state[table_name] = copy.deepcopy(self.tables[table_name])",
            "self.tables[table_name] = original_table_state[table_name]",
        ],
        "DynamoDBBackend.transact_write_items",
    )
    if getattr(models, "copy", None) is not copy and not isinstance(getattr(models, "copy", None), _CopyModule):
        raise SeamChanged("moto.dynamodb.models no longer uses the copy module: moto changed this seam")

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with DYNAMODB_LOCK:
            saved = snapshot(self, transact_items)
            streamed = stream_lengths(saved)
            _no_table_copies.active = True
            try:
                with item_limits.transaction():
                    original(self, transact_items)
            except BaseException:
                restore(saved)
                unstream(streamed)
                raise
            finally:
                _no_table_copies.active = False

    return Installation(
        [
            replace(models, "copy", _CopyModule(Table)),
            replace(DynamoDBBackend, "transact_write_items", transact_write_items),
        ]
    )


def install_fast_ast_copy() -> Installation:
    from moto.dynamodb.parsing import ast_nodes, validators

    node_class = getattr(ast_nodes, "Node")  # noqa: B009 - the module is untyped
    require_source(node_class.__init__, ["self.type = ", "self.children = children", "self.parent = None"], "Node")
    require_source(validators.Validator.__init__, ["self.node_to_validate = deepcopy(expression)"], "Validator")
    current = getattr(validators, "deepcopy", None)
    if current is not copy.deepcopy and not is_ours(current):
        raise SeamChanged("moto.dynamodb.parsing.validators no longer uses copy.deepcopy: moto changed this seam")

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return clone_ast(value, node_class) if isinstance(value, node_class) else copy.deepcopy(value, memo)

    return Installation([replace(validators, "deepcopy", deepcopy)])


def clone_ast(node: Any, node_class: type) -> Any:
    """A copy of the tree under the root `node`, as copy.deepcopy makes it; a node that is not a root (its
    parent would be copied too) or that holds more state than moto 5.2.5's nodes is copied by deepcopy."""
    if node.parent is not None:
        return copy.deepcopy(node)
    try:
        return _clone(node, node_class, None)
    except _NotPlain:
        return copy.deepcopy(node)


class _NotPlain(Exception):
    pass


def _clone(node: Any, node_class: type, parent: Any) -> Any:
    state = dict(node.__dict__)
    if state.keys() != {"type", "children", "parent"}:
        raise _NotPlain
    clone = object.__new__(type(node))
    children = state["children"]
    if children is not None:
        state["children"] = [
            _clone(child, node_class, clone)
            if isinstance(child, node_class)
            else child
            if isinstance(child, str | int | float | bool | type(None))
            else copy.deepcopy(child)
            for child in children
        ]
    state["parent"] = parent
    clone.__dict__.update(state)
    return clone


def install_update_expression_cache() -> Installation:
    from moto.dynamodb.parsing import expressions
    from moto.dynamodb.parsing.validators import Validator

    parser_class = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 - the module is untyped

    original = parser_class.make
    require_signature(original, ["expression_str"], "UpdateExpressionParser.make")
    require_source(Validator.__init__, ["self.node_to_validate = deepcopy(expression)"], "Validator.__init__")
    cached = functools.lru_cache(maxsize=256)(original)

    def make(cls: type, expression_str: str) -> Any:
        return cached(expression_str) if cls is parser_class else original.__func__(cls, expression_str)

    return Installation([replace(parser_class, "make", classmethod(make))])


def install_condition_expression_cache() -> Installation:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = ConditionExpressionParser.parse
    require_signature(original, ["self"], "ConditionExpressionParser.parse")
    require_signature(
        ConditionExpressionParser.__init__,
        ["self", "condition_expression", "expression_attribute_names", "expression_attribute_values"],
        "ConditionExpressionParser.__init__",
    )
    if not is_ours(original):
        # The key holds only the placeholders found in the text: true while the parser reads its maps nowhere but
        # in the two lookups of a placeholder it lexed (each attribute named twice: set, then looked up).
        source = inspect.getsource(ConditionExpressionParser)
        for attribute in ("expression_attribute_names", "expression_attribute_values"):
            if source.count(f"self.{attribute}") != 2 or f"return self.{attribute}[name]" not in source:
                raise SeamChanged(f"ConditionExpressionParser reads {attribute} elsewhere: moto changed this seam")
    parsed: dict[tuple[Any, ...], tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}

    def parse(self: Any) -> Any:
        expression = self.condition_expression
        names = _placeholders(self.expression_attribute_names, expression)
        values = _placeholders(self.expression_attribute_values, expression)
        key = (expression, _frozen(names), _frozen(values)) if type(expression) is str and expression else None
        if key is None or _UNFROZEN in key:
            return original(self)
        hit = parsed.get(key)
        if hit is None:
            private = ConditionExpressionParser(expression, copy.deepcopy(names), copy.deepcopy(values))
            try:
                condition = original(private)
            except Exception:
                return original(self)  # refused: as moto refuses it, with what it leaves on the parser
            hit = (condition, tuple(private.expr_attr_names_found), tuple(private.expr_attr_values_found))
            with DYNAMODB_LOCK:
                if len(parsed) >= 1024:
                    parsed.clear()
                parsed[key] = hit
        condition, names_found, values_found = hit
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return condition

    return Installation([replace(ConditionExpressionParser, "parse", parse)])


_UNFROZEN = object()  # in a key: a value it cannot be keyed on (the parse is not cached)


def _placeholders(mapping: Any, expression: Any) -> Any:
    """The entries of a names or values map whose placeholder occurs in the expression's text (None stays None)."""
    if mapping is None or type(expression) is not str:
        return mapping
    if type(mapping) is not dict or not all(type(name) is str for name in mapping):
        return _UNFROZEN
    return {name: value for name, value in mapping.items() if name in expression}


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a JSON-like value, equal only for values of the same types and contents (True, 1
    and 1.0 differ); _UNFROZEN for anything else."""
    kind = type(value)
    if kind is dict:
        items = tuple((key, _frozen(item)) for key, item in value.items())
        return _UNFROZEN if any(item is _UNFROZEN for _, item in items) else (dict, items)
    if kind is list:
        items = tuple(_frozen(item) for item in value)
        return _UNFROZEN if _UNFROZEN in items else (list, items)
    if value is None or kind in (str, bytes, bool, int, float):
        return (kind, value)
    return _UNFROZEN


# The node types a pass processes -> node class -> (a Node?, one of those types?): what moto's isinstance checks
# answer, which depends on nothing but the classes (moto registers no virtual subclass of its nodes).
_WALK_ANSWERS: dict[tuple[type, ...], dict[type, tuple[bool, bool]]] = {}


def install_fast_traversal() -> Installation:
    from moto.dynamodb.parsing import ast_nodes

    traverser = getattr(ast_nodes, "DepthFirstTraverser")  # noqa: B009 - the module is untyped
    node_class = getattr(ast_nodes, "Node")  # noqa: B009 - the module is untyped
    require_source(traverser.traverse, ["return self.traverse_node_recursively(node)"], "DepthFirstTraverser.traverse")
    require_source(
        traverser.traverse_node_recursively,
        [
            "if isinstance(node, Node):",
            "parent_node = node.parent",
            "if node.children is not None:",
            "for i, child_node in enumerate(node.children):",
            "self.pre_processing_of_child(node, i)",
            "self.traverse_node_recursively(child_node, i)",
            "if isinstance(node, self.nodes_to_be_processed()):",
            "node = self.process(node)",
            "node.parent = parent_node",
            "if parent_node:",
            "parent_node.children[child_id] = node",
            "return node",
        ],
        "DepthFirstTraverser.traverse_node_recursively",
    )
    require_source(
        traverser.nodes_to_be_processed,
        ["return tuple(k for k in self._processing_map().keys())"],
        "DepthFirstTraverser.nodes_to_be_processed",
    )
    walk_of_moto = traverser.traverse_node_recursively
    types_of_moto = traverser.nodes_to_be_processed
    no_hook = traverser.pre_processing_of_child
    original = traverser.traverse

    def traverse(self: Any, node: Any) -> Any:
        kind = type(self)
        if kind.traverse_node_recursively is not walk_of_moto or kind.nodes_to_be_processed is not types_of_moto:
            return original(self, node)  # a pass that walks otherwise: its own walk
        processed = self.nodes_to_be_processed()
        hook = None if kind.pre_processing_of_child is no_hook else self.pre_processing_of_child
        process = self.process
        answers = _WALK_ANSWERS.setdefault(processed, {})

        def walk(node: Any, child_id: int) -> Any:
            answer = answers.get(type(node))
            if answer is None:
                answer = answers[type(node)] = (isinstance(node, node_class), isinstance(node, processed))
            if answer[0]:
                parent_node = node.parent
                if node.children is not None:
                    for i, child_node in enumerate(node.children):
                        if hook is not None:
                            hook(node, i)
                        walk(child_node, i)
                if answer[1]:
                    node = process(node)
                    node.parent = parent_node
                    if parent_node:
                        parent_node.children[child_id] = node
            return node

        return walk(node, -1)

    return Installation([replace(traverser, "traverse", traverse)])


def install_static_check_cache() -> Installation:
    from moto.dynamodb.parsing import validators

    cls = validators.UpdateExpressionValidator
    static = tuple(
        getattr(validators, name)
        for name in ("ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator")
    )
    require_source(cls.get_ast_processors, [f"{kind.__name__}(" for kind in static], "get_ast_processors")
    require_signature(
        validators.Validator.__init__,
        ["self", "expression", "expression_attribute_names", "expression_attribute_values", "item", "table"],
        "Validator.__init__",
    )
    require_source(validators.Validator.validate, ["for processor in self.processors:"], "Validator.validate")
    original_init = cls.__init__
    original_validate = cls.validate
    passed: dict[int, tuple[Any, set[tuple[Any, ...]]]] = {}  # id(AST) -> (AST, keeps the id unique; keys)

    def init(self: Any, expression: Any, expression_attribute_names: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, expression, expression_attribute_names, *args, **kwargs)
        names = frozenset((expression_attribute_names or {}).items())
        self._local_cloud_static_key = (expression, (names, tuple(self.table.table_key_attrs)))

    def validate(self: Any) -> Any:
        expression, key = self._local_cloud_static_key
        with DYNAMODB_LOCK:
            seen = passed.get(id(expression))
            checked = seen is not None and seen[0] is expression and key in seen[1]
        if not checked:
            node = original_validate(self)
            with DYNAMODB_LOCK:
                if len(passed) > 1024:
                    passed.clear()
                passed.setdefault(id(expression), (expression, set()))[1].add(key)
            return node
        node = self.node_to_validate
        for processor in self.processors:
            if not isinstance(processor, static):
                node = processor.traverse(node)
        return node

    return Installation([replace(cls, "__init__", init), replace(cls, "validate", validate)])


def install_fast_json_results() -> Installation:
    from moto import settings
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoResult

    if "execute_result" in DynamoResult.__dict__:
        raise SeamChanged("DynamoResult now serialises itself: moto changed this seam")
    require_signature(ActionResult.execute_result, ["self", "context"], "ActionResult.execute_result")

    def execute_result(self: Any, context: Any) -> Any:
        result, operation = self.result, context.operation_model
        shape = operation.output_shape
        if (
            not settings.PRETTIFY_RESPONSES
            and isinstance(result, dict)
            and shape is not None
            and result.keys() <= shape.members.keys()
            and _plain_json(result)
        ):
            version = operation.service_model.metadata.get("jsonVersion", "1.0")
            headers = {"Content-Type": f"application/x-amz-json-{version}"}
            return operation.http.get("responseCode", 200), headers, json.dumps(result)
        return ActionResult.execute_result(self, context)

    return Installation([replace(DynamoResult, "execute_result", execute_result)])


def _plain_json(value: Any) -> bool:
    """Only str/bool/int/finite float, lists, and dicts with str keys, at any depth (no None, no bytes)."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            if not all(type(key) is str for key in node):
                return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is float:
            if not math.isfinite(node):
                return False
        elif kind not in (str, bool, int):
            return False
    return True


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each(
        {
            "request_lock": install_request_lock,
            "partition_throughput": install_partition_throughput,
            "item_level_transactions": install_item_level_transactions,
            "item_limits": install_item_limits,
            "atomic_batch_writes": install_atomic_batch_writes,
            "update_expression_cache": install_update_expression_cache,
            "static_check_cache": install_static_check_cache,
            "condition_expression_cache": install_condition_expression_cache,
            "fast_traversal": install_fast_traversal,
            "fast_json_results": install_fast_json_results,
            "indexed_queries": install_indexed_queries,
            "fast_ast_copy": install_fast_ast_copy,
        },
        without,
    )
