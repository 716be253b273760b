"""The boto3 clients of moto's Step Functions interpreter (pinned: 5.2.5), at ``boto_client_for``.

The interpreter builds a new boto3 client for every Task (~10 ms); clients are cached per (region, service,
in-process mock or server port, the state machine's role). Safe because the original ignores the state
credentials (fixed dummy keys) and botocore clients are thread-safe. Its Lambda client is a
``DirectLambdaClient``: moto's Lambda backend called in this process, not an HTTP request to this same server,
and it invokes only what the state machine's role allows.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

from local_cloud.seams import Installation, replace, require_signature
from local_cloud.stepfunctions.direct_lambda import DirectLambdaClient

_BOTO_CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"


def install_sfn_client_cache() -> Installation:
    module = importlib.import_module(_BOTO_CLIENT_MODULE)
    original = module.boto_client_for
    require_signature(original, ["region", "service", "state_credentials"], "boto_client_for")
    # Importing the backend imports every Task implementation, i.e. every module that bound the name.
    importlib.import_module("moto.stepfunctions.parser.models")
    importlib.import_module("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils")
    cache: dict[tuple[str, str, bool, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # In-process (mock_aws) clients carry no endpoint, server-mode ones carry MOTO_PORT's.
        in_process = bool(module.botocore_stubber.enabled)
        role_arn = str(getattr(state_credentials, "role_arn", "") or "")
        key = (region, service, in_process, module.moto_server_port(), role_arn)
        client = cache.get(key)
        if client is None:
            with lock:  # creating boto3 clients on the shared default session is not thread-safe
                client = cache.get(key)
                if client is None:
                    if service == "lambda":
                        # No HTTP round trip to ourselves; invokes only what the state machine's role allows.
                        client = cache[key] = DirectLambdaClient(region, role_arn=role_arn)
                    else:
                        client = cache[key] = original(region, service, state_credentials)
        return client

    undo = []
    for name, mod in list(sys.modules.items()):
        if (name == _BOTO_CLIENT_MODULE or name.startswith("moto.stepfunctions.parser.")) and getattr(
            mod, "boto_client_for", None
        ) is original:
            undo.append(replace(mod, "boto_client_for", boto_client_for))
    return Installation(undo)
