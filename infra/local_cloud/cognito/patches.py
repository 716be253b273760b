"""The Cognito seams: each pool's own signing key and JWKS, and the refusals Cognito makes that moto does not."""

from __future__ import annotations

from local_cloud.cognito import pool_keys, refusals
from local_cloud.seams import Installation, install_each


def install_all() -> Installation:
    return install_each({"pool_keys": pool_keys.install_all, "refusals": refusals.install_all})
