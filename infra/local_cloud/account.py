"""The account the local cloud serves: LocalStack's, 000000000000, so that every ARN (functions, state
machines, executions, tables) is the same on both emulators and the same files (events, env-vars files)
serve both.

Stdlib only at import: the Lambda worker process imports ``awslambda.types``, which uses the constant.
"""

from __future__ import annotations

import os

from local_cloud.seams import Installation, require_source, set_environ

LOCAL_CLOUD_ACCOUNT_ID = "000000000000"


def current_account_id() -> str:
    """The account moto answers requests in: MOTO_ACCOUNT_ID when set (moto's first rule), else its default."""
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID


def serve_account(account_id: str = LOCAL_CLOUD_ACCOUNT_ID) -> Installation:
    """Make every request, whatever its credentials, act in ``account_id``."""
    from moto.core.responses import BaseResponse

    require_source(
        BaseResponse.get_current_account, ['os.environ["MOTO_ACCOUNT_ID"]'], "BaseResponse.get_current_account"
    )
    return Installation([set_environ("MOTO_ACCOUNT_ID", account_id)])
