"""moto's ``/moto-api/data.json`` (served only with ``LOCAL_CLOUD_MOTO_API=1``, see ``guard``) dumps every public
attribute of every model that serializes to JSON. It reads each attribute to find out, and some are properties
that do work: a Lambda function's ``docker_client`` connects to Docker, which the local cloud does not use, and
its error is not one moto expects, so the whole dump failed with an HTML 500. Here an attribute whose reading
fails is left out, whatever the error, as moto already leaves out those it cannot serialize."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.seams import Installation, replace_url_path, require_source

DATA_PATH = "{0}/moto-api/data.json"


def model_data(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    from moto.core.model_instances import model_data as tracked

    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for service in sorted(tracked):
        models = tracked[service]
        results[service] = {name: [_public_data(instance) for instance in models[name].instances_tracked]  # type: ignore[attr-defined]
                            for name in sorted(models)}  # fmt: skip
    return 200, {"Content-Type": "application/json"}, json.dumps(results)


def _public_data(instance: Any) -> dict[str, Any]:
    data = {}
    for name in dir(instance):
        if name.startswith("_"):
            continue
        try:
            value = getattr(instance, name)
            json.dumps(value)
        except Exception:  # moto skips what does not serialize; this also skips what cannot be read
            continue
        data[name] = value
    return data


def install() -> Installation:
    from moto.moto_api._internal import responses, urls

    require_source(responses.MotoAPIResponse.model_data, ["json.dumps(getattr(instance, attr))"],
                   "MotoAPIResponse.model_data")  # fmt: skip
    return Installation([replace_url_path(urls.url_paths, DATA_PATH, model_data, "moto.moto_api urls")])
