"""The simulator's cheaper request ids: the answer moto enriches, with an id of the same shape."""

from __future__ import annotations

import re
from typing import Any

from moto.core.responses import BaseResponse

from simulator import response_ids

XML = "<Answer><RequestId>placeholder</RequestId><Value>1</Value></Answer>"


def _enriched(body: Any) -> tuple[dict[str, Any], Any]:
    headers: Any = {"status": 400, "Content-Type": "application/json"}  # moto's own calls pass the status as a number
    return BaseResponse._enrich_response(headers, body)


def _without_id(headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    request_id = headers.pop("x-amzn-requestid")
    assert re.fullmatch(r"[A-Za-z0-9]{52}", request_id)
    return headers, body.replace(request_id, "<id>") if isinstance(body, str) else body


def test_an_answer_is_enriched_as_moto_enriches_it() -> None:
    bodies = ['{"Item": {"pk": {"S": "<RequestId>"}}}', b'{"Item": {}}', XML, ""]
    by_moto = [_without_id(*_enriched(body)) for body in bodies]
    original = BaseResponse.__dict__["_enrich_response"]
    with response_ids.cheaper_request_ids():
        assert BaseResponse.__dict__["_enrich_response"] is not original
        assert [_without_id(*_enriched(body)) for body in bodies] == by_moto
    assert BaseResponse.__dict__["_enrich_response"] is original
    assert by_moto[2][1] == XML.replace("placeholder", "<id>")
