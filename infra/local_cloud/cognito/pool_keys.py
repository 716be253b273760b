"""Each user pool signs its tokens with an RSA key of its own, made when the pool is created, as Cognito does.

moto (pinned: 5.2.5) signs every pool's tokens with one key pair shipped in its package, whose private half anyone
can read, and serves its public half as every pool's JWKS: a token forged with that key would pass for any pool.
Here each pool gets a fresh 2048-bit key (its ``kid`` the key's RFC 7638 thumbprint), its tokens carry that
``kid``, and ``/<poolId>/.well-known/jwks.json`` serves that pool's public key only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from local_cloud.seams import Installation, install_each, replace, replace_url_path, require_signature, require_source

JWKS_PATH = "{0}/(?P<user_pool_id>[^/]+)/.well-known/jwks.json$"
KEY_BITS = 2048


def public_key_set(pool: Any) -> KeySet:
    """The keys that verify the pool's tokens."""
    return KeySet([pool.json_web_key])


def jwks_document(pool: Any) -> dict[str, Any]:
    """What Cognito serves at the pool's JWKS URL."""
    public = pool.json_web_key.as_dict(private=False)
    return {
        "keys": [{"alg": "RS256", "e": public["e"], "kid": public["kid"], "kty": "RSA", "n": public["n"], "use": "sig"}]
    }


def find_pool(pool_id: str) -> Any:
    """The user pool of that id in any account and region, or None (the JWKS URL names the pool only)."""
    for pool in _all_pools():
        if pool.id == pool_id:
            return pool
    return None


def _all_pools() -> Iterator[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    for account_backends in list(cognitoidp_backends.values()):
        for region, backend in list(account_backends.items()):
            if region != "global":
                yield from list(backend.user_pools.values())


def install_pool_keys() -> Installation:
    from moto.cognitoidp.models import CognitoIdpUserPool

    original_init = CognitoIdpUserPool.__init__
    original_create_jwt = CognitoIdpUserPool.create_jwt
    require_source(
        original_init, ["self.json_web_key = jwk.RSAKey.import_key(jwks_file)"], "CognitoIdpUserPool.__init__"
    )
    require_source(original_create_jwt, ['headers = {"kid": "dummy", "alg": "RS256"}'], "CognitoIdpUserPool.create_jwt")
    require_signature(
        original_create_jwt,
        ["self", "client_id", "username", "token_use", "expires_in", "extra_data"],
        "CognitoIdpUserPool.create_jwt",
    )

    def init_with_own_key(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.json_web_key = RSAKey.generate_key(KEY_BITS, auto_kid=True)

    def create_jwt(self: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
        # moto signs with the pool's key (now its own) under the header kid "dummy": sign the same claims again,
        # under the key's own kid, as Cognito's tokens name the key of the pool's JWKS that verifies them.
        token, expires_in = original_create_jwt(self, *args, **kwargs)
        claims = jwt.decode(token, self.json_web_key, algorithms=["RS256"]).claims
        return jwt.encode({"kid": self.json_web_key.kid, "alg": "RS256"}, claims, self.json_web_key), expires_in

    return Installation(
        [
            replace(CognitoIdpUserPool, "__init__", init_with_own_key),
            replace(CognitoIdpUserPool, "create_jwt", create_jwt),
        ]
    )


def serve_pool_jwks(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    pool_id = full_url.split("?", 1)[0].rstrip("/").split("/")[-3]  # .../<poolId>/.well-known/jwks.json
    pool = find_pool(pool_id)
    if pool is None:
        body = {"__type": "ResourceNotFoundException", "message": f"User pool {pool_id} does not exist."}
        return 404, {"Content-Type": "application/json"}, json.dumps(body)
    return 200, {"Content-Type": "application/json"}, json.dumps(jwks_document(pool))


def install_pool_jwks() -> Installation:
    from moto.cognitoidp import urls

    return Installation([replace_url_path(urls.url_paths, JWKS_PATH, serve_pool_jwks, "moto.cognitoidp urls")])


def install_all() -> Installation:
    return install_each({"pool_keys": install_pool_keys, "pool_jwks": install_pool_jwks})
