"""moto keeps every model instance it ever made (pinned: 5.2.5): ``BaseModel.__new__`` appends each one to its
class's ``instances_tracked`` list, for its dashboard (``/moto-api/data.json``) and for S3's reset, and nothing
removes it. moto makes many short-lived ones: each DynamoDB item it updates is deep-copied into a new ``Item``,
and each log event, metric datum, stream record and SQS message is one. So a long run kept all of them,
dead or alive: about 107 instances and 35 KB a saga that no backend holds any more (docs/local-cloud-seams.md).

Here each class's list holds weak references: the dashboard and S3's reset still see every instance that lives, and
one that nothing else holds is freed. An instance that cannot be weakly referenced is kept, as moto keeps it."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from local_cloud.seams import Installation, replace, require_source

_FIRST_COMPACTION = 64


class WeakInstances:
    """The part of a list moto uses (``append``, iteration, ``len``), over weak references. Dead references are
    dropped whenever the list has doubled since the last time, so appending stays O(1) on average."""

    def __init__(self, instances: Iterable[object] = ()) -> None:
        self._lock = threading.Lock()
        self._refs: list[Callable[[], object | None]] = []
        self._compact_at = _FIRST_COMPACTION
        for instance in instances:
            self.append(instance)

    def append(self, instance: object) -> None:
        try:
            ref: Callable[[], object | None] = weakref.ref(instance)
        except TypeError:  # a class without a __weakref__ slot: kept, as moto keeps it
            ref = _Strong(instance)
        with self._lock:
            self._refs.append(ref)
            if len(self._refs) >= self._compact_at:
                self._refs = [ref for ref in self._refs if ref() is not None]
                self._compact_at = max(_FIRST_COMPACTION, 2 * len(self._refs))

    def __iter__(self) -> Iterator[object]:
        with self._lock:
            refs = list(self._refs)
        for ref in refs:
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Strong:
    def __init__(self, instance: object) -> None:
        self._instance = instance

    def __call__(self) -> object:
        return self._instance


def install() -> Installation:
    from moto.core.common_models import BaseModel

    original = BaseModel.__dict__["__new__"].__func__
    require_source(original, ["cls.instances_tracked.append(instance)"], "moto.core.common_models.BaseModel.__new__")
    converting = threading.Lock()
    converted: list[Any] = []  # the classes whose list became weak: given a plain one back at uninstall

    def tracked_new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)  # as moto's: object.__new__ takes no arguments
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):  # a new class, or moto's reset gave it a new list
            with converting:
                tracked = cls.__dict__.get("instances_tracked")
                if not isinstance(tracked, WeakInstances):
                    tracked = WeakInstances(tracked or ())
                    cls.instances_tracked = tracked
                    converted.append(cls)
        tracked.append(instance)
        return instance

    def give_lists_back() -> None:
        """moto's own ``__new__`` would go on appending to a weak list: each class gets a plain one again, holding
        the instances that live."""
        with converting:
            for cls in converted:
                tracked = cls.__dict__.get("instances_tracked")
                if isinstance(tracked, WeakInstances):
                    cls.instances_tracked = list(tracked)
            converted.clear()

    # Undone in reverse: moto's __new__ back first, then the lists.
    return Installation([give_lists_back, replace(BaseModel, "__new__", staticmethod(tracked_new))])
