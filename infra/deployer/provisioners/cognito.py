"""AWS::Cognito::UserPool, ::UserPoolClient and ::UserPoolGroup.

A pool and a client have no unique name on AWS, so a re-deploy finds them by the name the template (or the
deployer) gives them, and converges their settings in place: users and their groups are kept, as
CloudFormation keeps them on an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from .base import Provisioner, Result, Target, error_code

_POOL_SETTINGS = {  # CloudFormation property -> CreateUserPool/UpdateUserPool parameter
    "AdminCreateUserConfig": "AdminCreateUserConfig",
    "AutoVerifiedAttributes": "AutoVerifiedAttributes",
    "DeletionProtection": "DeletionProtection",
    "MfaConfiguration": "MfaConfiguration",
    "Policies": "Policies",
    "UserPoolTags": "UserPoolTags",
}
_CLIENT_SETTINGS = {
    "AccessTokenValidity": "AccessTokenValidity",
    "ExplicitAuthFlows": "ExplicitAuthFlows",
    "IdTokenValidity": "IdTokenValidity",
    "PreventUserExistenceErrors": "PreventUserExistenceErrors",
    "RefreshTokenValidity": "RefreshTokenValidity",
    "TokenValidityUnits": "TokenValidityUnits",
}


def _settings(properties: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {api: properties[cfn] for cfn, api in names.items() if cfn in properties}


def _pages(call: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**kwargs)
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


class UserPoolProvisioner(Provisioner):
    resource_type = "AWS::Cognito::UserPool"
    properties = frozenset({"UserPoolName", *_POOL_SETTINGS})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        cognito = target.clients("cognito-idp")
        name = str(properties.get("UserPoolName") or target.name(logical_id, max_length=128))
        settings = _settings(properties, _POOL_SETTINGS)
        found = [p for p in _pages(cognito.list_user_pools, "UserPools", MaxResults=60) if p["Name"] == name]
        if found:
            pool_id = found[0]["Id"]
            update = {k: v for k, v in settings.items() if k != "UserPoolTags"}
            cognito.update_user_pool(UserPoolId=pool_id, **update)
            action = "updated"
        else:
            pool_id = cognito.create_user_pool(PoolName=name, **settings)["UserPool"]["Id"]
            action = "created"
        arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
        provider = f"cognito-idp.{target.region}.amazonaws.com/{pool_id}"
        attributes = {"Arn": arn, "ProviderName": provider, "ProviderURL": f"https://{provider}", "UserPoolId": pool_id}
        return Result(ref=pool_id, action=action, attributes=attributes)


class UserPoolClientProvisioner(Provisioner):
    resource_type = "AWS::Cognito::UserPoolClient"
    properties = frozenset({"ClientName", "GenerateSecret", "UserPoolId", *_CLIENT_SETTINGS})
    required = frozenset({"UserPoolId"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        cognito = target.clients("cognito-idp")
        pool_id = str(properties["UserPoolId"])
        name = str(properties.get("ClientName") or target.name(logical_id, max_length=128))
        settings = _settings(properties, _CLIENT_SETTINGS)
        clients = _pages(cognito.list_user_pool_clients, "UserPoolClients", UserPoolId=pool_id, MaxResults=60)
        found = [c for c in clients if c["ClientName"] == name]
        if found:
            client_id = found[0]["ClientId"]
            cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ClientName=name, **settings)
            action = "updated"
        else:
            generate = str(properties.get("GenerateSecret", False)).lower() == "true"
            created = cognito.create_user_pool_client(
                UserPoolId=pool_id, ClientName=name, GenerateSecret=generate, **settings
            )
            client_id = created["UserPoolClient"]["ClientId"]
            action = "created"
        return Result(ref=client_id, action=action, attributes={"ClientId": client_id, "Name": name})


class UserPoolGroupProvisioner(Provisioner):
    resource_type = "AWS::Cognito::UserPoolGroup"
    properties = frozenset({"Description", "GroupName", "Precedence", "RoleArn", "UserPoolId"})
    required = frozenset({"UserPoolId"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        cognito = target.clients("cognito-idp")
        pool_id = str(properties["UserPoolId"])
        name = str(properties.get("GroupName") or target.name(logical_id, max_length=128))
        settings: dict[str, Any] = {k: properties[k] for k in ("Description", "RoleArn") if k in properties}
        if "Precedence" in properties:
            settings["Precedence"] = int(properties["Precedence"])
        try:
            cognito.get_group(GroupName=name, UserPoolId=pool_id)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            cognito.create_group(GroupName=name, UserPoolId=pool_id, **settings)
            return Result(ref=name, action="created")
        cognito.update_group(GroupName=name, UserPoolId=pool_id, **settings)
        return Result(ref=name, action="updated")
