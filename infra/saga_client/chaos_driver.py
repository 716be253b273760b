"""Drives one checkout the way a careful store front would, and watches it end.

POST /checkout always carries an Idempotency-Key, so a request that timed out or met a busy server is simply
sent again with the same key (that is what the key is for). Some checkouts send their key twice on purpose,
after the answer or concurrently; some have every step delivered a second time while the saga runs."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from local_cloud.stepfunctions.express import is_express_arn
from saga_client.api_client import TERMINAL_STATUSES, ApiError, CheckoutApi
from saga_client.choreography_stack import ENDED, is_choreographed, saga_events, saga_status
from saga_client.choreography_stack import redeliver as redeliver_event
from saga_client.histories import Scheduled, current_state, scheduled
from saga_client.identity import StackIdentities
from saga_client.stack_data import EXECUTION_DONE, StackData

POST_ATTEMPTS = 8


@dataclass
class SagaRun:
    """One saga of the run as the client saw it."""

    phase: str
    order_id: str
    execution_arn: str
    number: int | None = None  # its checkout number in the scenario
    reported_status: str | None = None  # what GET /orders said once the execution had ended
    first_final: str | None = None  # the first terminal status GET /orders said
    replay_same: bool | None = None  # its Idempotency-Key sent again gave the same order
    redelivered: int = 0  # steps delivered a second time while it ran
    ended: bool = False  # the execution ended within the bound
    left_at: str = ""  # where the saga stood when the bound passed, if it had not ended
    resumed: bool = False


class Driver:
    def __init__(self, stack: StackData, timeout: float, poll: float = 0.25) -> None:
        self._stack, self._timeout, self._poll = stack, timeout, poll
        self._local = threading.local()
        self._retries_lock = threading.Lock()
        self.retried_posts = 0  # POSTs sent again after a 5xx, a 409 in progress or a timeout
        self._apis: list[CheckoutApi] = []
        # An operator: chaos checks out for many customers, and an operator may act for any of them.
        self.token = StackIdentities.of(stack.outputs, stack.endpoint_url).operator("chaos-operator")

    @property
    def api(self) -> CheckoutApi:
        """One HTTP session per thread (requests' Session is not guaranteed thread-safe)."""
        if not hasattr(self._local, "api"):
            self._local.api = CheckoutApi(self._stack.outputs["ApiUrl"], timeout=30.0, token=self.token)
            with self._retries_lock:
                self._apis.append(self._local.api)
        api: CheckoutApi = self._local.api
        return api

    @property
    def retried_reads(self) -> int:
        """GETs sent again after a 5xx or a timeout, by every thread's client."""
        with self._retries_lock:
            return sum(api.retried_reads for api in self._apis)

    # ---------------------------------------------------------------- requests
    def post(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        for attempt in range(POST_ATTEMPTS):
            try:
                return self.api.checkout(body, idempotency_key=key)
            except ApiError as exc:
                retriable = exc.status_code >= 500 or (exc.status_code == 409 and "in progress" in str(exc))
                if not retriable or attempt == POST_ATTEMPTS - 1:
                    raise
            except (requests.Timeout, requests.ConnectionError):
                if attempt == POST_ATTEMPTS - 1:
                    raise
            with self._retries_lock:
                self.retried_posts += 1
            time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def checkout(
        self,
        phase: str,
        body: dict[str, Any],
        key: str,
        repeat: str = "",
        watch: bool = False,
        number: int | None = None,
    ) -> SagaRun:
        if repeat == "together":
            with ThreadPoolExecutor(2) as pair:
                answers = list(pair.map(lambda _: self.post(body, key), range(2)))
        else:
            answers = [self.post(body, key)]
            if repeat == "after":
                answers.append(self.post(body, key))
        first = answers[0]
        run = SagaRun(phase, first["orderId"], first["executionArn"], number=number)
        if repeat:
            run.replay_same = all(answer["orderId"] == run.order_id for answer in answers)
        self.follow(run, watch)
        return run

    # ---------------------------------------------------------------- watching
    def follow(self, run: SagaRun, watch: bool = False) -> SagaRun:
        """Wait (bounded) until the execution has ended; note the first terminal status the API reported and
        the one it reports at the end. With `watch`, deliver each step a second time as soon as it is scheduled."""
        deadline = time.monotonic() + self._timeout
        delivered: set[str] = set()
        api_polled = 0.0
        while time.monotonic() < deadline:
            # GET /orders runs the API Lambda: ask it once a second; describe_execution is cheap.
            if run.first_final is None and time.monotonic() - api_polled >= 1.0:
                api_polled = time.monotonic()
                status = self.status(run.order_id)
                if status in TERMINAL_STATUSES:
                    run.first_final = status
            if watch:
                run.redelivered += self._deliver_again(run, delivered)
            if self._ended(run):
                run.ended = True
                run.reported_status = self.status(run.order_id)
                run.first_final = run.first_final or run.reported_status
                return run
            time.sleep(self._poll)
        run.left_at = where(self._stack, run)
        return run

    def _ended(self, run: SagaRun) -> bool:
        """The execution has ended; a choreographed saga, which has none, when its saga log says so, and so does
        an Express one, which has no DescribeExecution (and may run twice: the log is the saga's, not a run's)."""
        if is_choreographed(run.execution_arn) or is_express_arn(run.execution_arn):
            return saga_status(self._stack, run.order_id) in ENDED
        return self._stack.execution_status(run.execution_arn) in EXECUTION_DONE

    def _deliver_again(self, run: SagaRun, delivered: set[str]) -> int:
        """Each step scheduled so far (each event emitted so far, when choreographed) a second time, once. An
        Express execution has no history to read its steps from: the local cloud runs some whole executions twice
        instead (ChaosOptions.duplicate_rate)."""
        count = 0
        if is_express_arn(run.execution_arn):
            return count
        if is_choreographed(run.execution_arn):
            for event in saga_events(self._stack, run.order_id):
                if event["name"] not in delivered:
                    delivered.add(event["name"])
                    redeliver_event(self._stack, event)
                    count += 1
            return count
        for step in scheduled(self._stack.history(run.execution_arn)):
            if step.state not in delivered:
                delivered.add(step.state)
                self.redeliver(step)
                count += 1
        return count

    def status(self, order_id: str) -> str | None:
        """The order's status through the API; None while it does not know the order yet (a saga started
        directly is logged by its first step)."""
        try:
            return str(self.api.order(order_id)["status"])
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def redeliver(self, step: Scheduled) -> dict[str, Any]:
        """Invoke the step's Lambda again with the exact input Step Functions gave it; its answer (a result or
        an error document) does not matter, only that the stored data stays right."""
        response = self._stack.client("lambda").invoke(FunctionName=step.resource, Payload=step.input.encode())
        answer: dict[str, Any] = json.loads(response["Payload"].read() or b"null") or {}
        return answer


def where(stack: StackData, run: SagaRun) -> str:
    """Where a saga stands: its saga log's status and state and, orchestrated, its execution's last state and event."""
    saga = stack.saga_log.get(run.order_id)
    logged = f"saga log {saga.status.value} {saga.state.value}" if saga is not None else "no saga log yet"
    if is_choreographed(run.execution_arn) or is_express_arn(run.execution_arn):
        return logged
    events = stack.history(run.execution_arn)
    return f"{logged}, in state {current_state(events) or '-'}, last event {events[-1]['type']}"
