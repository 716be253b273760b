"""The query parameters every paged listing takes (GET /products, /sagas, /customers/.../orders). A `next` token
this API did not give is answered 400 by the resolver's BadPageToken handler (handlers/api.py)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from checkout_saga.api_models import PageToken

PageSize = Annotated[int, Query(ge=1, le=100, description="Page size")]
NextPage = Annotated[PageToken | None, Query(alias="next", description="`next` of the previous page")]
