"""Every suite talks to emulators only: fake credentials, one region, and never a real AWS endpoint."""

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_SERVICE_NAME="checkout-saga",
    POWERTOOLS_METRICS_NAMESPACE="CheckoutSaga",
    POWERTOOLS_TRACE_DISABLED="true",
)
for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)
