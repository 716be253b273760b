"""API Gateway's Cognito user-pool authorizer (REST, v1), as AWS runs it before a method's integration.

The token comes from the authorizer's identity source (a header: `method.request.header.Authorization`) as the
raw ID token. It is accepted only if:

- its header names a key (`kid`) of the user pool that issued it (`iss`, one of the authorizer's pools), and its
  RS256 signature verifies with that key: each pool signs with a key of its own (`pool_keys`), so a token signed
  with any other key, moto's published one included, is refused;
- its `token_use` is `id` and its `aud` is one app client of that pool (a string: an array is refused);
- it has not expired, and neither its `nbf` nor its `iat` lies in the future. AWS's JWT verifier for Cognito
  tokens (aws-jwt-verify, `validateJwtFields`) checks `exp` and `nbf` with `graceSeconds`, 0 by default, and
  refuses an `aud` that is not a string; this one allows no skew either, and holds `iat` to the same rule.

Anything else is API Gateway's `401 {"message": "Unauthorized"}` and the function does not run.

The claims reach the function as API Gateway passes them in `requestContext.authorizer.claims`: every value a
string, a list (such as `cognito:groups`) its items joined with commas ("admins,ops"), as AWS renders it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError

from local_cloud.cognito.pool_keys import public_key_set

_HEADER_SOURCE = "method.request.header."
CLOCK_SKEW_SECONDS = 0


@dataclass(frozen=True)
class Denied:
    """Why a request was refused: logged (never the token itself), as API Gateway's execution log would."""

    reason: str


def authorize(authorizer: Any, headers: Any, account_id: str) -> dict[str, str] | Denied:
    """The claims of a valid token for `authorizer` (moto's Authorizer model), or why there is none."""
    source = str(authorizer.identity_source or f"{_HEADER_SOURCE}Authorization")
    if not source.startswith(_HEADER_SOURCE):
        return Denied(f"identity source {source} is not supported")
    token = (headers.get(source[len(_HEADER_SOURCE) :]) or "").strip()
    if not token:
        return Denied("no token")
    try:
        unverified = jws.extract_compact(token.encode())
        header, unverified_claims = unverified.headers(), json.loads(unverified.payload)
    except (JoseError, ValueError):
        return Denied("token is not a JWS")
    if not isinstance(unverified_claims, dict):
        return Denied("token claims are not an object")
    pool = _pool_of(unverified_claims.get("iss"), list(authorizer.provider_arns or []), account_id)
    if pool is None:
        return Denied("issuer is not a user pool of this authorizer")
    if not header.get("kid"):
        return Denied("token names no key (kid)")
    if header.get("kid") != pool.json_web_key.kid:
        return Denied("token's key (kid) is not the user pool's")
    try:
        claims = jwt.decode(token, public_key_set(pool), algorithms=["RS256"]).claims
    except (JoseError, ValueError) as exc:  # wrong signature
        return Denied(f"token does not verify ({type(exc).__name__})")
    return _check_claims(claims, pool) or {name: _claim_text(value) for name, value in claims.items()}


def _check_claims(claims: dict[str, Any], pool: Any) -> Denied | None:
    if claims.get("token_use") != "id":
        return Denied("not an ID token")
    audience = claims.get("aud")
    if not isinstance(audience, str) or audience not in pool.clients:
        return Denied("audience is not one app client of the user pool")
    now = time.time()
    expires = _time(claims.get("exp"))
    if expires is None or expires <= now:
        return Denied("token has expired")
    for name in ("nbf", "iat"):
        if name in claims:
            value = _time(claims[name])
            if value is None or value > now + CLOCK_SKEW_SECONDS:
                return Denied(f"token's {name} lies in the future (or is not a time)")
    return None


def _time(value: Any) -> float | None:
    """A NumericDate claim's value, or None if it is not a number."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _pool_of(issuer: Any, provider_arns: list[str], account_id: str) -> Any:
    """The user pool among the authorizer's providers that issued the token, or None."""
    from moto.cognitoidp.models import cognitoidp_backends

    for arn in provider_arns:
        parts = arn.split(":")  # arn:aws:cognito-idp:<region>:<account>:userpool/<id>
        if len(parts) != 6 or not parts[5].startswith("userpool/"):
            continue
        region, pool_id = parts[3], parts[5].split("/", 1)[1]
        if issuer != f"https://cognito-idp.{region}.amazonaws.com/{pool_id}":
            continue
        return cognitoidp_backends[parts[4] or account_id][region].user_pools.get(pool_id)
    return None


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
