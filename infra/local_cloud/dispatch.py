"""moto's per-request dispatch (pinned: 5.2.5), without the work that gives the same answer every time.

``moto.backends.list_of_moto_modules``: the server's dispatcher asks it, under a lock every request takes, whether
a host names a moto module; it lists moto's package directory and stats every entry (about 200) to answer. The
directory does not change while the server runs: computed once.

``moto.core.utils.create_loader``: the first request of each service reads its model (and each paginated
operation its paginators) through a botocore loader moto builds anew for that read, which lists every service
botocore knows before finding the file (about 20 ms of each read, some fifteen services a server). One loader
reads them all: a loader only reads files and caches what it read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache

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


def install_model_loader_cache() -> Installation:
    from moto.core import loaders, utils

    require_signature(vars(utils)["create_loader"], [], "moto.core.utils.create_loader")  # imported there
    require_source(utils._load_service_model, ["loader = create_loader()"], "moto.core.utils._load_service_model")
    return Installation([replace(utils, "create_loader", cache(loaders.create_loader))])


def install_all(without: Collection[str] = ()) -> Installation:
    return install_each(
        {"module_list_cache": install_module_list_cache, "model_loader_cache": install_model_loader_cache}, without
    )
