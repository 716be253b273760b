"""moto's last touch on every answer, its request id, at less cost.

``BaseResponse._enrich_response`` draws a 52-character request id one ``random.choice`` at a time (about 120,000
draws in sixteen schedules) and then runs a regular expression over the whole body to write the id into an XML
``<RequestId>``, which a DynamoDB answer (JSON) never holds. Here the id is drawn in one call from moto's own
random source (the same 62 characters, the same length, in the same header), and the body is searched only when
it holds that tag: 2.3 % of a schedule's instructions (seeds 1 to 8, 2026-12-07). The id is random on both sides
and nothing in a schedule reads it."""

from __future__ import annotations

import re
import string
from typing import Any

from local_cloud.seams import Installation, replace, require_source

_ID_CHARACTERS = string.ascii_letters + string.digits
_ID_LENGTH = 52


def cheaper_request_ids() -> Installation:
    from moto.core.responses import BaseResponse
    from moto.moto_api._internal import mock_random
    from moto.utilities import aws_headers

    require_source(
        BaseResponse._enrich_response,
        [
            'if "status" in headers: headers["status"] = str(headers["status"])',
            "request_id = gen_amzn_requestid_long(headers)",
            'body = re.sub(r"(?<=<RequestId>).*(?=<\\/RequestId>)", request_id, body)',
            "except Exception:",
            "return headers, body",
        ],
        "BaseResponse._enrich_response",
    )
    require_source(
        aws_headers.gen_amzn_requestid_long,
        [
            "req_id = random.get_random_string(length=52)",
            'headerdict.update({"x-amzn-requestid": req_id})',
        ],
        "gen_amzn_requestid_long",
    )
    require_source(
        type(mock_random).get_random_string,
        ["pool = string.ascii_letters", "pool += string.digits", '"".join([self.choice(pool) for i in range(length)])'],
        "MotoRandom.get_random_string",
    )

    def enrich_response(headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
        if "status" in headers:
            headers["status"] = str(headers["status"])
        request_id = "".join(mock_random.choices(_ID_CHARACTERS, k=_ID_LENGTH))
        if isinstance(headers, dict):
            headers["x-amzn-requestid"] = request_id
        if isinstance(body, str) and "<RequestId>" in body:  # what moto's pattern needs to match at all
            body = re.sub(r"(?<=<RequestId>).*(?=<\/RequestId>)", request_id, body)
        return headers, body

    return Installation([replace(BaseResponse, "_enrich_response", staticmethod(enrich_response))])
