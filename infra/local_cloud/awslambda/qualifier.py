"""Invoke's `Qualifier` as AWS reads it (moto pinned: 5.2.5), at ``LambdaResponse.invoke``: the SDKs send it in the
query string as ``Qualifier``, and moto reads ``qualifier`` only, so an invocation of a version or an alias by
name and qualifier ran ``$LATEST`` (by its qualified ARN, moto already ran the version)."""

from __future__ import annotations

from typing import Any

from local_cloud.seams import Installation, replace, require_signature


def install_invoke_qualifier() -> Installation:
    from moto.awslambda.responses import LambdaResponse

    original = LambdaResponse.invoke
    require_signature(original, ["self"], "LambdaResponse.invoke")

    def invoke(self: Any) -> Any:
        sent = self.querystring.get("Qualifier")
        if sent and "qualifier" not in self.querystring:
            self.querystring["qualifier"] = sent
        return original(self)

    return Installation([replace(LambdaResponse, "invoke", invoke)])


def install_alias_permissions() -> Installation:
    """AddPermission on an alias or a version named in ``FunctionName`` (``function:name:live``, as SAM's
    permissions for a function with AutoPublishAlias name it): AWS's statement names that qualified ARN, and only
    an invocation of it is allowed; moto (5.2.5) wrote the unqualified ARN, which then matched nothing invoked
    through the alias. (moto keeps one policy for a function and all its versions, so the statement stays with the
    alias when it moves; it names the alias, so it allows invoking nothing else.)"""
    from moto.awslambda.models import LambdaBackend

    original: Any = LambdaBackend.add_permission  # typed ``qualifier: str``, though the API lets it be absent (None)
    require_signature(original, ["self", "function_name", "qualifier", "raw"], "LambdaBackend.add_permission")

    def add_permission(self: Any, function_name: str, qualifier: str | None, raw: str) -> Any:
        return original(self, function_name, qualifier or named_qualifier(function_name), raw)

    return Installation([replace(LambdaBackend, "add_permission", add_permission)])


def named_qualifier(function: str) -> str | None:
    """The version or alias a function's name, partial ARN or ARN carries, if any."""
    name = function.split(":function:", 1)[1] if ":function:" in function else function
    _, _, qualifier = name.partition(":")
    return qualifier or None
