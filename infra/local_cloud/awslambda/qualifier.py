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
