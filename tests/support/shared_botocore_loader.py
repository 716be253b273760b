"""One botocore data loader for every session the test process creates.

moto's ``mock_aws`` gives each mock a fresh boto3 default session, and powertools, the deployer and the tests make
sessions of their own; each new session builds a loader that parses botocore's JSON files again (the endpoints,
the partitions, each service's model): 14 % of the fast tiers' CPU. A loader only reads those files and caches what
it read, as it already does for every client of one session, so the sessions of one process can share it.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.loaders import Loader

from local_cloud.seams import require_signature, require_source

_original = botocore.session.create_loader
_shared: dict[Any, Loader] = {}


def _create_shared_loader(search_path_string: Any = None) -> Loader:
    key = repr(search_path_string)
    loader = _shared.get(key)
    if loader is None:
        loader = _shared[key] = _original(search_path_string)
    return loader


def install() -> None:
    """botocore.session calls `create_loader` by its module-level name when a session first needs its loader."""
    require_signature(_original, ["search_path_string"], "botocore.session.create_loader")
    require_source(botocore.session.Session._register_data_loader, ["create_loader("], "botocore Session's loader")
    botocore.session.create_loader = _create_shared_loader
