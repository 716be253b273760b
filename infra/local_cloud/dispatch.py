"""moto's per-request dispatch (pinned: 5.2.5), without the work that gives the same answer every time.

1. ``moto.backends.list_of_moto_modules``: the server's dispatcher asks it, under a lock every request
   takes, whether a host names a moto module; it lists moto's package directory and stats every entry
   (about 200) to answer. The directory does not change while the server runs: computed once.
2. ``moto.core.responses.method_names_from_class``: every request lists its response class's methods
   with ``inspect.getmembers`` to check that the action exists. Classes do not change either: cached
   per class (as a frozenset; the one caller only tests membership).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from local_cloud.seams import Installation, replace, require_signature, require_source


def install_module_list_cache() -> Installation:
    from moto import backends

    original = backends.list_of_moto_modules
    require_signature(original, [], "moto.backends.list_of_moto_modules")
    require_source(original, ["os.listdir(path)"], "moto.backends.list_of_moto_modules")
    modules = tuple(original())

    def list_of_moto_modules() -> Iterable[str]:
        return modules

    return Installation([replace(backends, "list_of_moto_modules", list_of_moto_modules)])


def install_method_names_cache() -> Installation:
    from moto.core import responses

    original = getattr(responses, "method_names_from_class")  # noqa: B009 - imported there, not exported
    require_signature(original, ["clazz"], "moto.core.responses.method_names_from_class")
    require_source(responses.BaseResponse.call_action, ["action in method_names"], "BaseResponse.call_action")

    @functools.cache
    def method_names_from_class(clazz: object) -> frozenset[str]:
        return frozenset(original(clazz))

    return Installation([replace(responses, "method_names_from_class", method_names_from_class)])


def install_all() -> Installation:
    parts = [install_module_list_cache(), install_method_names_cache()]
    return Installation([part.uninstall for part in parts])
