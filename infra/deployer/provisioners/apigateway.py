"""AWS::ApiGateway::RestApi, ::Deployment and ::Stage.

SAM describes the API as an OpenAPI/Swagger Body. Rather than ImportRestApi (moto leaves
an imported API without working integrations), the API is built from the Body with
CreateResource / PutMethod / PutIntegration, which behave alike on moto, LocalStack and AWS.
Cognito user-pool authorizers of the Body's security definitions become CreateAuthorizer, and each
method that names one in its `security` is put with that authorizer (SAM's `Auth: DefaultAuthorizer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..errors import TemplateError
from ..intrinsics import partition_of
from ..template import Template, parse_template_text
from .base import Provisioner, Result, Target, error_code, tag_dict

ANY_METHOD = "x-amazon-apigateway-any-method"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
_PARAMETER_SOURCES = {"path": "path", "query": "querystring", "header": "header"}
_STACK_TAG, _LOGICAL_ID_TAG = "deployer:stack", "deployer:logical-id"


# ---------------------------------------------------------------------------- body
def _operations(body: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{resource path: {HTTP method: operation}} from an OpenAPI/Swagger Body."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for raw_path, item in (body.get("paths") or {}).items():
        path = "/" + str(raw_path).strip("/")
        shared = item.get("parameters", [])
        methods = result.setdefault(path, {})
        for key, operation in item.items():
            method = "ANY" if key == ANY_METHOD else key.upper() if key in _HTTP_METHODS else None
            if method is not None:
                merged = dict(operation)
                merged["parameters"] = [*shared, *operation.get("parameters", [])]
                methods[method] = merged
    return result


def _ancestors(path: str) -> list[str]:
    """'/a/{b}' -> ['/a', '/a/{b}']: every resource that must exist for `path`."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def _method_request(operation: Mapping[str, Any], authorizers: Mapping[str, str]) -> dict[str, Any]:
    """PutMethod's arguments; `authorizers` maps the Body's security scheme names to authorizer ids."""
    parameters = {
        f"method.request.{_PARAMETER_SOURCES[p['in']]}.{p['name']}": bool(p.get("required"))
        for p in operation.get("parameters", [])
        if isinstance(p, dict) and p.get("in") in _PARAMETER_SOURCES
    }
    requirements = operation.get("security", [])
    api_key = any("api_key" in requirement for requirement in requirements)
    request: dict[str, Any] = {"authorizationType": "NONE", "apiKeyRequired": api_key, "requestParameters": parameters}
    named = [name for requirement in requirements for name in requirement if name in authorizers]
    if named:  # SAM's `Authorizer: NONE` names no defined scheme: the method stays open
        request.update(authorizationType="COGNITO_USER_POOLS", authorizerId=authorizers[named[0]])
    return request


def _cognito_authorizers(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{scheme name: CreateAuthorizer arguments} of the Body's Cognito user-pool authorizers."""
    schemes = body.get("securityDefinitions") or (body.get("components") or {}).get("securitySchemes") or {}
    wanted = {}
    for name, scheme in schemes.items():
        spec = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
        if spec is None:
            continue
        wanted[str(name)] = {
            "name": str(name),
            "type": "COGNITO_USER_POOLS",
            "providerARNs": [str(arn) for arn in spec.get("providerARNs", [])],
            "identitySource": f"method.request.header.{scheme.get('name', 'Authorization')}",
        }
    return wanted


def _integration(operation: Mapping[str, Any]) -> dict[str, Any]:
    spec = operation["x-amazon-apigateway-integration"]
    integration: dict[str, Any] = {"type": str(spec["type"]).upper()}
    if "httpMethod" in spec:
        integration["integrationHttpMethod"] = str(spec["httpMethod"]).upper()
    optional = ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling",
                "cacheKeyParameters", "cacheNamespace", "connectionType", "connectionId")  # fmt: skip
    integration.update({k: spec[k] for k in optional if k in spec})
    if "passthroughBehavior" in spec:
        integration["passthroughBehavior"] = str(spec["passthroughBehavior"]).upper()
    if "timeoutInMillis" in spec:
        integration["timeoutInMillis"] = int(spec["timeoutInMillis"])
    return integration


def _is_proxy(operation: Mapping[str, Any]) -> bool:
    return _integration(operation)["type"] in ("AWS_PROXY", "HTTP_PROXY")


class RestApiProvisioner(Provisioner):
    resource_type = "AWS::ApiGateway::RestApi"
    properties = frozenset(
        {
            "ApiKeySourceType",
            "BinaryMediaTypes",
            "Body",
            "BodyS3Location",
            "Description",
            "DisableExecuteApiEndpoint",
            "EndpointConfiguration",
            "FailOnWarnings",
            "MinimumCompressionSize",
            "Mode",
            "Name",
            "Parameters",
            "Tags",
        }
    )

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        super().check(logical_id, properties, template)
        body = self._body(logical_id, properties, template)
        schemes = body.get("securityDefinitions") or (body.get("components") or {}).get("securitySchemes")
        for name, scheme in (schemes or {}).items():
            spec = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
            if spec is not None and str(spec.get("type", "")).lower() != "cognito_user_pools":
                raise TemplateError(
                    f"{logical_id}: authorizer {name}: only Cognito user-pool authorizers are supported"
                )
        for path, methods in _operations(body).items():
            for method, operation in methods.items():
                if "x-amazon-apigateway-integration" not in operation:
                    raise TemplateError(f"{logical_id}: {method} {path} has no x-amazon-apigateway-integration")

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        apigw = target.clients("apigateway")
        body = self._body(logical_id, properties, target.template)
        api = self._find(apigw, target.stack_name, logical_id)
        created = api is None
        if api is None:
            api = self._create(apigw, logical_id, properties, body, target)
        changed = _Sync(apigw, api["id"]).run(_operations(body), _cognito_authorizers(body))
        root = next(r["id"] for r in _paginate(apigw, "get_resources", restApiId=api["id"]) if r["path"] == "/")
        action = "created" if created else "updated" if changed else "unchanged"
        return Result(ref=api["id"], action=action, attributes={"RootResourceId": root})

    @staticmethod
    def _find(apigw: Any, stack_name: str, logical_id: str) -> dict[str, Any] | None:
        """APIs have no unique name, so a deploy tags its APIs to find them the next time."""
        for api in _paginate(apigw, "get_rest_apis"):
            tags = api.get("tags")
            if tags is None:  # not every implementation lists tags with the APIs
                tags = _tags(apigw, api["id"])
            if tags.get(_STACK_TAG) == stack_name and tags.get(_LOGICAL_ID_TAG) == logical_id:
                return dict(api)
        return None

    @staticmethod
    def _create(
        apigw: Any, logical_id: str, props: dict[str, Any], body: Mapping[str, Any], target: Target
    ) -> dict[str, Any]:
        name = props.get("Name") or (body.get("info") or {}).get("title") or target.name(logical_id, max_length=1024)
        tags = {**tag_dict(props.get("Tags")), _STACK_TAG: target.stack_name, _LOGICAL_ID_TAG: logical_id}
        kwargs: dict[str, Any] = {"name": str(name), "tags": tags}
        if "Description" in props:
            kwargs["description"] = props["Description"]
        if "BinaryMediaTypes" in props:
            kwargs["binaryMediaTypes"] = props["BinaryMediaTypes"]
        if "EndpointConfiguration" in props:
            kwargs["endpointConfiguration"] = {"types": props["EndpointConfiguration"]["Types"]}
        if "ApiKeySourceType" in props:
            kwargs["apiKeySource"] = props["ApiKeySourceType"]
        if "MinimumCompressionSize" in props:
            kwargs["minimumCompressionSize"] = int(props["MinimumCompressionSize"])
        if "DisableExecuteApiEndpoint" in props:
            kwargs["disableExecuteApiEndpoint"] = bool(props["DisableExecuteApiEndpoint"])
        return dict(apigw.create_rest_api(**kwargs))

    @staticmethod
    def _body(logical_id: str, properties: Mapping[str, Any], template: Template) -> dict[str, Any]:
        if isinstance(properties.get("Body"), dict):
            return dict(properties["Body"])
        location = properties.get("BodyS3Location")
        if isinstance(location, dict):
            local = template.local_artifact(location.get("Bucket"), location.get("Key"))
            if local is not None:
                body = parse_template_text(local.read_text(encoding="utf-8"))
                if isinstance(body, dict):
                    return body
        raise TemplateError(f"{logical_id}: needs a Body, or a local DefinitionUri")


class _Sync:
    """Makes one API's resources and methods those of the Body, touching only differences."""

    def __init__(self, apigw: Any, api_id: str) -> None:
        self.apigw = apigw
        self.api_id = api_id
        self.changed = False
        self.authorizer_ids: dict[str, str] = {}

    def run(self, wanted: dict[str, dict[str, dict[str, Any]]], authorizers: dict[str, dict[str, Any]]) -> bool:
        self.authorizer_ids = self._authorizers(authorizers)
        current = {
            r["path"]: r for r in _paginate(self.apigw, "get_resources", restApiId=self.api_id, embed=["methods"])
        }
        needed = {"/"} | {p for path in wanted for p in _ancestors(path)}
        for path in sorted(set(current) - needed):
            parent = path.rsplit("/", 1)[0] or "/"
            if parent in needed:  # deleting the top-most stale resource removes its children
                self.apigw.delete_resource(restApiId=self.api_id, resourceId=current[path]["id"])
                self.changed = True
        ids = {path: current[path]["id"] for path in needed if path in current}
        for path in sorted(needed - set(ids), key=lambda p: p.count("/")):
            parent = path.rsplit("/", 1)[0] or "/"
            created = self.apigw.create_resource(
                restApiId=self.api_id, parentId=ids[parent], pathPart=path.rsplit("/", 1)[1]
            )
            ids[path] = created["id"]
            self.changed = True
        for path, resource_id in ids.items():
            existing = set((current.get(path) or {}).get("resourceMethods") or {})
            self._methods(resource_id, existing, wanted.get(path, {}))
        return self.changed

    def _authorizers(self, wanted: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Creates the wanted authorizers that are missing or differ; {name: id}. Methods that used a replaced
        one are re-put, since their authorizer id no longer matches."""
        current = {a["name"]: a for a in self.apigw.get_authorizers(restApiId=self.api_id).get("items", [])}
        ids = {}
        for name, spec in wanted.items():
            existing = current.get(name)
            same = existing is not None and all(existing.get(key) == value for key, value in spec.items())
            if existing is not None and not same:  # a changed pool or header: replaced
                self.apigw.delete_authorizer(restApiId=self.api_id, authorizerId=existing["id"])
            if existing is not None and same:
                ids[name] = existing["id"]
                continue
            ids[name] = self.apigw.create_authorizer(restApiId=self.api_id, **spec)["id"]
            self.changed = True
        return ids

    def _methods(self, resource_id: str, existing: set[str], wanted: dict[str, Any]) -> None:
        ids = {"restApiId": self.api_id, "resourceId": resource_id}
        same = {m for m in existing & set(wanted) if self._same(ids, m, wanted[m])}
        for method in sorted(existing - same):
            self.apigw.delete_method(httpMethod=method, **ids)  # PutMethod cannot overwrite
        for method in sorted(set(wanted) - same):
            self._put(ids, method, wanted[method])
        self.changed = self.changed or bool((existing | set(wanted)) - same)

    def _same(self, ids: dict[str, str], method: str, operation: dict[str, Any]) -> bool:
        """Only proxy integrations are compared; anything else is re-put every time."""
        if not _is_proxy(operation):
            return False
        try:
            current = self.apigw.get_method(httpMethod=method, **ids)
        except ClientError as exc:
            if error_code(exc) == "NotFoundException":
                return False
            raise
        request = _method_request(operation, self.authorizer_ids)
        integration = current.get("methodIntegration") or {}
        wanted_integration = _integration(operation)
        return (
            current.get("authorizationType") == request["authorizationType"]
            and current.get("authorizerId") == request.get("authorizerId")
            and bool(current.get("apiKeyRequired")) == request["apiKeyRequired"]
            and (current.get("requestParameters") or {}) == request["requestParameters"]
            and integration.get("type") == wanted_integration["type"]
            and integration.get("httpMethod") == wanted_integration.get("integrationHttpMethod")
            and integration.get("uri") == wanted_integration.get("uri")
        )

    def _put(self, ids: dict[str, str], method: str, operation: dict[str, Any]) -> None:
        request = _method_request(operation, self.authorizer_ids)
        if not request["requestParameters"]:
            del request["requestParameters"]
        self.apigw.put_method(httpMethod=method, **ids, **request)
        proxy = _is_proxy(operation)
        if not proxy:
            for status, response in (operation.get("responses") or {}).items():
                headers = (response or {}).get("headers") or {}
                self.apigw.put_method_response(
                    httpMethod=method,
                    statusCode=str(status),
                    responseParameters={f"method.response.header.{h}": False for h in headers},
                    **ids,
                )
        self.apigw.put_integration(httpMethod=method, **ids, **_integration(operation))
        if proxy:
            return
        spec = operation["x-amazon-apigateway-integration"]
        for pattern, response in (spec.get("responses") or {}).items():
            kwargs: dict[str, Any] = {"statusCode": str(response["statusCode"])}
            if pattern != "default":
                kwargs["selectionPattern"] = pattern
            for key in ("responseParameters", "responseTemplates", "contentHandling"):
                if key in response:
                    kwargs[key] = response[key]
            self.apigw.put_integration_response(httpMethod=method, **ids, **kwargs)


# ------------------------------------------------------------------ deployment, stage
class DeploymentProvisioner(Provisioner):
    """Every deploy snapshots the API anew, so the stage serves what was just built."""

    resource_type = "AWS::ApiGateway::Deployment"
    properties = frozenset({"Description", "RestApiId", "StageName"})
    required = frozenset({"RestApiId"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        apigw = target.clients("apigateway")
        api_id = properties["RestApiId"]
        kwargs: dict[str, Any] = {"restApiId": api_id}
        if "Description" in properties:
            kwargs["description"] = properties["Description"]
        deployment_id = apigw.create_deployment(**kwargs)["id"]
        if "StageName" in properties:
            # CreateDeployment(stageName=...) would do this in one call, but moto then ties the
            # deployment to the stage for good and refuses to delete it once superseded.
            _point_stage(apigw, api_id, str(properties["StageName"]), deployment_id)
        return Result(ref=deployment_id, action="created")


class StageProvisioner(Provisioner):
    resource_type = "AWS::ApiGateway::Stage"
    properties = frozenset(
        {"DeploymentId", "Description", "MethodSettings", "RestApiId", "StageName", "TracingEnabled", "Variables"}
    )
    required = frozenset({"DeploymentId", "RestApiId", "StageName"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        apigw = target.clients("apigateway")
        api_id, name = properties["RestApiId"], str(properties["StageName"])
        deployment_id = properties["DeploymentId"]
        variables = {k: str(v) for k, v in (properties.get("Variables") or {}).items()}
        try:
            current = apigw.get_stage(restApiId=api_id, stageName=name)
        except ClientError as exc:
            if error_code(exc) != "NotFoundException":
                raise
            kwargs: dict[str, Any] = {
                "restApiId": api_id,
                "stageName": name,
                "deploymentId": deployment_id,
                "variables": variables,
            }
            if "Description" in properties:
                kwargs["description"] = properties["Description"]
            if "TracingEnabled" in properties:
                kwargs["tracingEnabled"] = bool(properties["TracingEnabled"])
            apigw.create_stage(**kwargs)
            settings = _method_settings(properties.get("MethodSettings"))
            if settings:  # CreateStage takes no method settings: they are patched in
                apigw.update_stage(restApiId=api_id, stageName=name, patchOperations=settings)
            action = "created"
        else:
            operations = [{"op": "replace", "path": "/deploymentId", "value": deployment_id}]
            if "Description" in properties:
                operations.append({"op": "replace", "path": "/description", "value": properties["Description"]})
            for key in set(current.get("variables") or {}) - set(variables):
                operations.append({"op": "remove", "path": f"/variables/{key}"})
            for key, value in variables.items():
                operations.append({"op": "replace", "path": f"/variables/{key}", "value": value})
            operations += _method_settings(properties.get("MethodSettings"))
            apigw.update_stage(restApiId=api_id, stageName=name, patchOperations=operations)
            action = "updated"
        _prune_deployments(apigw, api_id)
        return Result(ref=name, action=action)


_METHOD_SETTINGS = {  # CloudFormation's MethodSetting property -> the path UpdateStage patches
    "ThrottlingRateLimit": "throttling/rateLimit",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "MetricsEnabled": "metrics/enabled",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "CachingEnabled": "caching/enabled",
}


def _method_settings(settings: Any) -> list[dict[str, str]]:
    """UpdateStage patch operations for the template's MethodSettings (ResourcePath "/*" means every path)."""
    operations = []
    for setting in settings or []:
        resource_path = str(setting.get("ResourcePath", "/*"))
        path = "*" if resource_path == "/*" else resource_path.replace("/", "~1")
        prefix = f"/{path}/{setting.get('HttpMethod', '*')}"
        for key, target in _METHOD_SETTINGS.items():
            if key in setting:
                value = setting[key]
                text = str(value).lower() if isinstance(value, bool) else str(value)
                operations.append({"op": "replace", "path": f"{prefix}/{target}", "value": text})
    return operations


def _tags(apigw: Any, api_id: str) -> dict[str, str]:
    region = apigw.meta.region_name
    try:
        answer = apigw.get_tags(resourceArn=f"arn:{partition_of(region)}:apigateway:{region}::/restapis/{api_id}")
    except ClientError:
        return {}
    return dict(answer.get("tags", {}))


def _point_stage(apigw: Any, api_id: str, stage: str, deployment_id: str) -> None:
    """Create `stage` on `deployment_id`, or move it there."""
    try:
        current = apigw.get_stage(restApiId=api_id, stageName=stage)
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        apigw.create_stage(restApiId=api_id, stageName=stage, deploymentId=deployment_id)
        return
    if current.get("deploymentId") != deployment_id:
        apigw.update_stage(
            restApiId=api_id,
            stageName=stage,
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment_id}],
        )


def _prune_deployments(apigw: Any, api_id: str) -> None:
    """Drop the snapshots no stage serves any more, so re-deploys do not pile them up."""
    in_use = {s.get("deploymentId") for s in apigw.get_stages(restApiId=api_id).get("item", [])}
    for deployment in _paginate(apigw, "get_deployments", restApiId=api_id):
        if deployment["id"] not in in_use:
            try:
                apigw.delete_deployment(restApiId=api_id, deploymentId=deployment["id"])
            except ClientError as exc:
                if error_code(exc) not in ("BadRequestException", "NotFoundException"):
                    raise


def _paginate(apigw: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in apigw.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get("items", []))
    return items
