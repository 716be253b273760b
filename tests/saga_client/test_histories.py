"""Reading execution histories: scheduled inputs, failed attempts by state and error, retries."""

from typing import Any

from saga_client.histories import failed_attempts, retries, scheduled


def entered(name: str) -> dict[str, Any]:
    kind = "TaskStateEntered" if name[0].isupper() and not name.endswith("Failed") else "PassStateEntered"
    return {"type": kind, "stateEnteredEventDetails": {"name": name}}


def lambda_scheduled(resource: str, payload: str) -> dict[str, Any]:
    return {
        "type": "LambdaFunctionScheduled",
        "lambdaFunctionScheduledEventDetails": {"resource": resource, "input": payload},
    }


def lambda_failed(error: str) -> dict[str, Any]:
    return {"type": "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails": {"error": error, "cause": "..."}}


HISTORY = [
    {"type": "ExecutionStarted"},
    entered("CreateOrder"),
    lambda_scheduled("arn:create", '{"orderId": "o-1"}'),
    {"type": "LambdaFunctionSucceeded"},
    entered("ReserveStock"),
    lambda_scheduled("arn:reserve", '{"orderId": "o-1", "totalCents": 5}'),
    lambda_failed("TransientStepError"),
    lambda_scheduled("arn:reserve", '{"orderId": "o-1", "totalCents": 5}'),
    {"type": "LambdaFunctionTimedOut", "lambdaFunctionTimedOutEventDetails": {}},
    lambda_scheduled("arn:reserve", '{"orderId": "o-1", "totalCents": 5}'),
    lambda_failed("InjectedFailure"),
    entered("ReserveStockFailed"),
    entered("ReleaseStock"),
    lambda_scheduled("arn:release", '{"orderId": "o-1"}'),
    {"type": "LambdaFunctionSucceeded"},
]


def test_scheduled_gives_each_attempt_with_its_state_and_exact_input():
    steps = scheduled(HISTORY)

    assert [step.state for step in steps] == [
        "CreateOrder",
        "ReserveStock",
        "ReserveStock",
        "ReserveStock",
        "ReleaseStock",
    ]
    assert steps[1].resource == "arn:reserve"
    assert steps[1].input == '{"orderId": "o-1", "totalCents": 5}'


def test_failed_attempts_are_counted_by_state_and_error():
    assert failed_attempts(HISTORY) == {
        ("ReserveStock", "TransientStepError"): 1,
        ("ReserveStock", "States.Timeout"): 1,
        ("ReserveStock", "InjectedFailure"): 1,
    }


def test_retries_are_the_attempts_beyond_the_first_of_each_entry():
    assert retries(HISTORY) == {"ReserveStock": 2}
