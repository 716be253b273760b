"""One botocore data loader for every session of a process, and its models read once, before a fork.

Each new botocore session builds a loader that parses botocore's JSON files again (the endpoints, the partitions,
each service's model, boto3's resource models). A loader only reads those files and caches what it read, as it
already does for every client of one session, so the sessions of one process can share it:

- the zygote (zygote.py) installs it and reads the models of the services handlers most often call, then forks:
  a cold start's first clients take about 30 ms of CPU instead of 130 to 170 ms;
- the test processes install it too (tests/conftest.py): moto's ``mock_aws`` gives each mock a fresh boto3 default
  session, and powertools, the deployer and the tests make sessions of their own.

Each boto3 session appends boto3's data folder to its loader's search paths; a shared loader would collect one copy
per session (thousands in a test process), and every file it has not read yet would be looked for in each. Its
search paths keep one copy of each folder.
"""

from __future__ import annotations

from typing import Any

import boto3.session
import botocore.session
from botocore.loaders import Loader

from local_cloud.seams import require_signature, require_source

# The services a Lambda handler most often calls (AWS's names, nothing of a particular application).
COMMON_SERVICES = (
    "dynamodb",
    "stepfunctions",
    "events",
    "sqs",
    "sns",
    "s3",
    "kms",
    "ssm",
    "secretsmanager",
    "sts",
    "xray",
    "lambda",
    "logs",
    "cloudwatch",
)
_original = botocore.session.create_loader
_shared: dict[str, Loader] = {}


class _UniquePaths(list[str]):
    """A search path list that keeps the first copy of each folder."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def _create_shared_loader(search_path_string: Any = None) -> Loader:
    key = repr(search_path_string)
    loader = _shared.get(key)
    if loader is None:
        loader = _shared[key] = _original(search_path_string)
        loader._search_paths = _UniquePaths(loader.search_paths)
    return loader


def install() -> None:
    """botocore.session calls `create_loader` by its module-level name when a session first needs its loader;
    boto3's session appends its data folder to that loader's `search_paths`."""
    require_signature(_original, ["search_path_string"], "botocore.session.create_loader")
    require_source(botocore.session.Session._register_data_loader, ["create_loader("], "botocore Session's loader")
    require_source(Loader.__init__, ["self._search_paths ="], "botocore Loader's search paths")
    require_source(boto3.session.Session._setup_loader, ["search_paths.append("], "boto3 Session's data folder")
    botocore.session.create_loader = _create_shared_loader


def installed() -> bool:
    return botocore.session.create_loader is _create_shared_loader


def read_models(services: tuple[str, ...] = COMMON_SERVICES) -> None:
    """Read, into the shared loader, what a first client of each service reads (and boto3's DynamoDB resource):
    a process forked afterwards finds it all parsed."""
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    for service in services:
        session.client(service)
    session.resource("dynamodb")
