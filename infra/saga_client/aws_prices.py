"""AWS list prices in us-east-1 that `make bench` multiplies measured counts by (bench_cost).

Recorded on 2026-11-26 from the public pricing pages below (on-demand, first tier, no free tier, x86
Lambda, REST API). Prices change: check the pages before quoting a figure, and update RECORDED_ON with them.
"""

from __future__ import annotations

REGION = "us-east-1"
RECORDED_ON = "2026-11-26"
SOURCES = {
    "stepfunctions": "https://aws.amazon.com/step-functions/pricing/",
    "lambda": "https://aws.amazon.com/lambda/pricing/",
    "dynamodb": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "apigateway": "https://aws.amazon.com/api-gateway/pricing/",
}

# Step Functions Standard: per state transition (a retry is a transition too).
STANDARD_PER_TRANSITION = 0.025 / 1_000
# Step Functions Express: per execution, and per GB-second of duration (the local cloud meters the billed
# duration and memory: local_cloud.usage_meter).
EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.00001667
# Lambda (x86_64): per request and per GB-second (duration billed per millisecond).
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
# DynamoDB on-demand: per write and read request unit.
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000
# API Gateway REST API: per request (first 333 million a month).
APIGATEWAY_REST_PER_REQUEST = 3.50 / 1_000_000
