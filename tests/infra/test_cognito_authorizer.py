"""The local API Gateway's Cognito user-pool authorizer, against a running server: an API built with plain boto3
calls (a pool, its client, an authorizer, a method using it), tokens from moto's cognito-idp as a client gets them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from moto.utilities.utils import load_resource

from local_cloud.cognito.pool_keys import find_pool
from local_cloud.server import LocalCloud
from saga_client.identity import id_token
from tests.infra.conftest import make_zip

MARKER = Path("/tmp/local-cloud-authorized-ran")
CODE = make_zip(
    {
        "api.py": """
        import json

        def echo(event, context):
            open("/tmp/local-cloud-authorized-ran", "w").close()
            return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
        """
    }
)


@dataclass
class Secured:
    url: str
    pool_id: str
    client_id: str
    cognito: Any

    def token(self, username: str, group: str | None = None) -> str:
        return id_token(self.cognito, self.pool_id, self.client_id, username, group=group)


def _pool(cognito: Any, name: str) -> tuple[str, str]:
    pool_id = cognito.create_user_pool(PoolName=name)["UserPool"]["Id"]
    cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName=f"{name}-client", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


@pytest.fixture(scope="module")
def secured(cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str) -> Secured:
    lam, apigw, cognito = aws("lambda"), aws("apigateway"), aws("cognito-idp")
    pool_id, client_id = _pool(cognito, "authorizer-test")
    pool_arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    arn = lam.create_function(
        FunctionName="authorized-echo",
        Runtime="python3.11",
        Role=role_arn,
        Handler="api.echo",
        Code={"ZipFile": CODE},
    )["FunctionArn"]
    api_id = apigw.create_rest_api(name="secured-api")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    authorizer_id = apigw.create_authorizer(
        restApiId=api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    resource_id = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="private")["id"]
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="GET",
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer_id,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    account = arn.split(":")[4]
    lam.add_permission(
        FunctionName=arn,
        StatementId="api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{account}:{api_id}/*/GET/private",
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    url = f"{cloud.endpoint_url}/restapis/{api_id}/prod/_user_request_/private"
    return Secured(url, pool_id, client_id, cognito)


def _call(secured: Secured, token: str | None) -> requests.Response:
    MARKER.unlink(missing_ok=True)
    headers = {} if token is None else {"Authorization": token}
    return requests.get(secured.url, headers=headers, timeout=30)


def _refused(response: requests.Response) -> bool:
    """API Gateway's answer to a bad token, given before the function could run."""
    return (
        response.status_code == 401
        and response.json() == {"message": "Unauthorized"}
        and response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
        and not MARKER.exists()
    )


def _signed(claims: dict[str, Any], key: Any, **header: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid or "dummy", **header}, claims, key)


def _pool_key(secured: Secured) -> Any:
    """The pool's own private key, read from the server in this process: what only Cognito holds."""
    return find_pool(secured.pool_id).json_web_key


MOTO_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _claims_of(secured: Secured, username: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{secured.pool_id}",
        "aud": secured.client_id,
        "token_use": "id",
        "cognito:username": username,
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **changes}


def test_a_valid_id_token_reaches_the_function_with_its_claims(secured: Secured) -> None:
    response = _call(secured, secured.token("alice", group="admins"))
    assert response.status_code == 200
    claims = response.json()["claims"]
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == "admins"
    assert claims["aud"] == secured.client_id
    assert claims["token_use"] == "id"
    assert all(isinstance(value, str) for value in claims.values())  # as API Gateway passes them


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c"])
def test_no_token_or_garbage_is_unauthorized(secured: Secured, token: str | None) -> None:
    assert _refused(_call(secured, token))


def test_a_token_signed_with_another_key_is_unauthorized(secured: Secured) -> None:
    forged = _signed(_claims_of(secured, "mallory"), RSAKey.generate_key(2048))
    assert _refused(_call(secured, forged))


def test_an_expired_token_is_unauthorized(secured: Secured) -> None:
    expired = _signed(_claims_of(secured, "alice", exp=int(time.time()) - 5), _pool_key(secured))
    still_valid = _signed(_claims_of(secured, "alice"), _pool_key(secured))
    assert _refused(_call(secured, expired))
    assert _call(secured, still_valid).status_code == 200  # the same claims, unexpired: only the expiry refused it


def test_an_access_token_is_unauthorized(secured: Secured) -> None:
    secured.token("bob")
    password = "Aa1-" + "x" * 20
    secured.cognito.admin_set_user_password(
        UserPoolId=secured.pool_id, Username="bob", Password=password, Permanent=True
    )
    tokens = secured.cognito.admin_initiate_auth(
        UserPoolId=secured.pool_id,
        ClientId=secured.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": password},
    )["AuthenticationResult"]
    assert _refused(_call(secured, tokens["AccessToken"]))
    assert _call(secured, tokens["IdToken"]).status_code == 200


def test_a_token_of_another_pool_or_another_pools_client_is_unauthorized(secured: Secured) -> None:
    other_pool, other_client = _pool(secured.cognito, "another-pool")
    assert _refused(_call(secured, id_token(secured.cognito, other_pool, other_client, "alice")))
    wrong_audience = _signed(_claims_of(secured, "alice", aud=other_client), _pool_key(secured))
    assert _refused(_call(secured, wrong_audience))


def test_a_token_signed_with_motos_published_key_is_unauthorized(secured: Secured) -> None:
    # moto signs every pool's tokens with a key pair shipped in its package: anyone could forge with it.
    assert _refused(_call(secured, _signed(_claims_of(secured, "mallory"), MOTO_KEY)))
    pool_kid = _pool_key(secured).kid
    assert _refused(_call(secured, _signed(_claims_of(secured, "mallory"), MOTO_KEY, kid=pool_kid)))
    assert _call(secured, _signed(_claims_of(secured, "alice"), _pool_key(secured))).status_code == 200


def test_each_pool_serves_its_own_key_at_its_jwks_url_and_its_tokens_name_it(
    secured: Secured, cloud: LocalCloud
) -> None:
    other_pool, other_client = _pool(secured.cognito, "jwks-pool")
    keys = {}
    for pool_id, client_id in ((secured.pool_id, secured.client_id), (other_pool, other_client)):
        document = requests.get(f"{cloud.endpoint_url}/{pool_id}/.well-known/jwks.json", timeout=10).json()
        [key] = document["keys"]
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        token = id_token(secured.cognito, pool_id, client_id, "jwks-user")
        assert jwt.decode(token, KeySet.import_key_set(document)).claims["cognito:username"] == "jwks-user"
        keys[pool_id] = key
    assert keys[secured.pool_id]["kid"] != keys[other_pool]["kid"]
    assert keys[secured.pool_id]["n"] != keys[other_pool]["n"]
    assert MOTO_KEY.as_dict(private=False)["n"] not in {key["n"] for key in keys.values()}
    missing = requests.get(f"{cloud.endpoint_url}/us-east-1_nosuchpool/.well-known/jwks.json", timeout=10)
    assert missing.status_code == 404


def test_an_audience_given_as_an_array_is_unauthorized(secured: Secured) -> None:
    listed = _signed(_claims_of(secured, "alice", aud=[secured.client_id]), _pool_key(secured))
    assert _refused(_call(secured, listed))


def test_a_token_without_a_key_id_is_unauthorized(secured: Secured) -> None:
    key = _pool_key(secured)
    no_kid = jwt.encode({"alg": "RS256"}, _claims_of(secured, "alice"), key)
    assert _refused(_call(secured, no_kid))


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_valid_only_in_the_future_is_unauthorized(secured: Secured, claim: str) -> None:
    now = int(time.time())
    future = _signed(_claims_of(secured, "alice", **{claim: now + 60}), _pool_key(secured))
    present = _signed(_claims_of(secured, "alice", **{claim: now - 1}), _pool_key(secured))
    assert _refused(_call(secured, future))
    assert _call(secured, present).status_code == 200
