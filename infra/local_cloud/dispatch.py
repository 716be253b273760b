"""moto's per-request dispatch (pinned: 5.2.5), without the work that gives the same answer every time.

``moto.backends.list_of_moto_modules``: the server's dispatcher asks it, under a lock every request takes, whether
a host names a moto module; it lists moto's package directory and stats every entry (about 200) to answer. The
directory does not change while the server runs: computed once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from local_cloud.seams import Installation, install_each, replace, require_signature, require_source


def install_module_list_cache() -> Installation:
    from moto import backends

    original = backends.list_of_moto_modules
    require_signature(original, [], "moto.backends.list_of_moto_modules")
    require_source(original, ["os.listdir(path)"], "moto.backends.list_of_moto_modules")
    modules = tuple(original())

    def list_of_moto_modules() -> Iterable[str]:
        return modules

    return Installation([replace(backends, "list_of_moto_modules", list_of_moto_modules)])


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each({"module_list_cache": install_module_list_cache}, without)
