"""The Lambda runners: both implementations on the same tiny handlers, then what only workers do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local_cloud.awslambda.moto_runner import log_lines
from local_cloud.awslambda.runtime import FunctionSpec, InProcessRunner, InvokeResult, LambdaRunner, WorkerPoolRunner
from local_cloud.awslambda.types import reserved_variables
from tests.infra.conftest import make_zip, pid_alive, wait_dead

INFRA = Path(__file__).resolve().parents[2] / "infra"
Spec = Callable[..., FunctionSpec]


# The module's worker pools are shared by its tests: a pool starts its zygote (about 0.5 s of CPU) once, not once
# a test. Each test still starts from cold starts, as in a pool of its own: its functions carry a code version of
# their own (`spec` below), and a pool retires a function's workers when its code changes.


@pytest.fixture(scope="module")
def bare_pool() -> Iterator[WorkerPoolRunner]:
    """A pool with no endpoint, as the in-process runner has none: the two are compared."""
    runner = WorkerPoolRunner()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def module_pool() -> Iterator[WorkerPoolRunner]:
    runner = WorkerPoolRunner("http://127.0.0.1:9")
    yield runner
    runner.close()


@pytest.fixture
def pool(module_pool: WorkerPoolRunner) -> WorkerPoolRunner:
    return module_pool


@pytest.fixture
def spec(spec: Spec, request: pytest.FixtureRequest) -> Spec:
    """conftest's `spec`, the test's own code version unless the test sets one."""

    def make(name: str, **overrides: Any) -> FunctionSpec:
        return spec(name, **{"code_sha": f"sha-{request.node.name}", **overrides})

    return make


@pytest.fixture(params=["in-process", "worker-pool"])
def runner(request: pytest.FixtureRequest, bare_pool: WorkerPoolRunner) -> Iterator[LambdaRunner]:
    if request.param == "worker-pool":
        yield bare_pool
        return
    runner = InProcessRunner()
    yield runner
    runner.close()


# -- both runners ----------------------------------------------------------------------------------


def test_result_environment_and_context(runner: LambdaRunner, spec: Spec) -> None:
    result = runner.invoke(spec("info", memory_mb=256, timeout_seconds=7.0), "{}")

    assert not result.errored, result.payload
    body = json.loads(result.payload)
    assert body["env"]["FOO"] == "bar"
    assert body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "fn-info"
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert body["env"]["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "7"
    assert body["env"]["_HANDLER"] == "app.handlers.info"
    assert body["env"]["AWS_REGION"] == body["env"]["AWS_DEFAULT_REGION"] == "us-east-1"
    assert body["context"] == {
        "function_name": "fn-info",
        "memory_limit_in_mb": "256",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn-info",
        "aws_request_id": result.request_id,
        "remaining_ms": body["context"]["remaining_ms"],
    }
    assert 6000 < body["context"]["remaining_ms"] <= 7000


def test_both_runners_set_every_reserved_variable_over_the_functions_own(runner: LambdaRunner, spec: Spec) -> None:
    reserved = reserved_variables(spec("info"), "any")
    clashing = dict.fromkeys(reserved, "set by the function")

    body = json.loads(runner.invoke(spec("info", environment={**clashing, "FOO": "bar"}), "{}").payload)

    assert {name: body["env"][name] for name in reserved} == {
        **reserved,
        "AWS_LAMBDA_LOG_STREAM_NAME": body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"],
    }
    assert body["env"]["AWS_LAMBDA_LOG_STREAM_NAME"].startswith(time.strftime("%Y/%m/%d", time.gmtime()) + "/[$LATEST]")


def test_event_round_trip(runner: LambdaRunner, spec: Spec) -> None:
    event = {"orderId": "o-1", "items": [{"sku": "KB-001", "quantity": 2}], "note": "naïve ✓", "n": None}
    result = runner.invoke(spec("echo"), json.dumps(event))
    assert not result.errored
    assert json.loads(result.payload)["event"] == event


def test_exception_has_lambdas_error_shape(runner: LambdaRunner, spec: Spec) -> None:
    result = runner.invoke(spec("decline"), "{}")

    assert result.errored
    error = json.loads(result.payload)
    assert error["errorType"] == "PaymentDeclined"
    assert error["errorMessage"] == "card tok_declined was declined"
    assert error["requestId"] == result.request_id
    assert isinstance(error["stackTrace"], list)
    assert "in decline" in error["stackTrace"][-1]
    assert "[ERROR] PaymentDeclined: card tok_declined was declined" in result.logs
    lines = log_lines(spec("decline"), result)  # the handler said why: Lambda adds no line of its own
    assert [line for line in lines if "Error:" in line] == []
    assert lines[0].startswith("START RequestId: ")
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")


def test_logs_of_each_call_are_its_own(runner: LambdaRunner, spec: Spec) -> None:
    first = runner.invoke(spec("chatty"), '{"n": 1}')
    second = runner.invoke(spec("chatty"), '{"n": 2}')

    assert first.logs.count("cold start of fn-chatty") == 1  # init output belongs to the first call
    for result, n in ((first, 1), (second, 2)):
        assert json.loads(result.payload) == n
        assert f"to stdout {n}" in result.logs
        assert f"to stderr {n}" in result.logs
        assert f"via logging {n}" in result.logs
    assert "to stdout 1" not in second.logs
    assert "cold start" not in second.logs


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("missing_function", "Runtime.HandlerNotFound"),
        ("unserializable", "Runtime.MarshalError"),
    ],
)
def test_runtime_errors(runner: LambdaRunner, spec: Spec, handler: str, error_type: str) -> None:
    result = runner.invoke(spec(handler), "{}")
    assert result.errored
    assert json.loads(result.payload)["errorType"] == error_type


def test_missing_module(runner: LambdaRunner, spec: Spec) -> None:
    result = runner.invoke(spec("noop", handler="nowhere.handler", function_name="fn-nowhere"), "{}")
    assert result.errored
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "nowhere" in error["errorMessage"]


def test_in_process_restores_environment(spec: Spec) -> None:
    runner = InProcessRunner()
    os.environ.pop("FOO", None)
    try:
        assert json.loads(runner.invoke(spec("info"), "{}").payload)["env"]["FOO"] == "bar"
        assert "FOO" not in os.environ
        assert os.environ.get("AWS_LAMBDA_FUNCTION_NAME") != "fn-info"
    finally:
        runner.close()


def test_in_process_each_call_reads_its_parameters_itself(spec: Spec) -> None:
    """One process for every function: a parameter powertools cached in one call must not spare the next call
    its own read (on Lambda, another function's cache is in another process)."""
    import boto3
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from moto import mock_aws

    code = make_zip(
        {
            "reader/__init__.py": "",
            "reader/app.py": "from aws_lambda_powertools.utilities import parameters\n\n\n"
            "def handler(event, context):\n    return parameters.get_parameter('/plan', max_age=300)\n",
        }
    )
    runner = InProcessRunner()
    callers_own = object()
    DEFAULT_PROVIDERS["caller"] = callers_own
    try:
        with mock_aws():
            ssm = boto3.client("ssm", region_name="us-east-1")
            ssm.put_parameter(Name="/plan", Value="first", Type="String")
            reader = spec("reader", handler="reader.app.handler", code_sha="sha-reader", code_bytes=code)
            assert json.loads(runner.invoke(reader, "{}").payload) == "first"
            ssm.put_parameter(Name="/plan", Value="second", Type="String", Overwrite=True)
            other = spec("other-reader", handler="reader.app.handler", code_sha="sha-reader", code_bytes=code)

            assert json.loads(runner.invoke(other, "{}").payload) == "second"
            assert json.loads(runner.invoke(reader, "{}").payload) == "second"
        assert {"caller": callers_own} == DEFAULT_PROVIDERS  # the caller's providers, as they were
    finally:
        DEFAULT_PROVIDERS.pop("caller", None)
        runner.close()


# -- worker pool only ------------------------------------------------------------------------------


def test_worker_sandbox(pool: WorkerPoolRunner, spec: Spec) -> None:
    body = json.loads(pool.invoke(spec("info"), "{}").payload)
    task_root = body["env"]["LAMBDA_TASK_ROOT"]

    assert body["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert body["env"]["AWS_ACCESS_KEY_ID"] == body["env"]["AWS_SECRET_ACCESS_KEY"] == "test"
    assert body["env"]["PYTHONPATH"].split(os.pathsep)[0] == task_root
    assert body["cwd"] == task_root
    assert body["sys_path_0"] == task_root  # the deployed code wins over anything installed
    assert (Path(task_root) / "app" / "handlers.py").is_file()
    assert body["pid"] != os.getpid()


def test_warm_reuse_and_cold_start(pool: WorkerPoolRunner, spec: Spec) -> None:
    first = pool.invoke(spec("echo"), '{"call": 1}')
    second = pool.invoke(spec("echo"), '{"call": 2}')

    assert json.loads(first.payload)["pid"] == json.loads(second.payload)["pid"]
    assert first.init_duration_ms is not None
    assert first.init_duration_ms > 0
    assert second.init_duration_ms is None
    assert first.worker_id == second.worker_id


def test_timeout_kills_and_replaces_the_worker(pool: WorkerPoolRunner, spec: Spec) -> None:
    warm = json.loads(pool.invoke(spec("sleepy", timeout_seconds=0.5), '{"seconds": 0}').payload)["pid"]

    # A handler that would sleep 5 s: had the runner let it finish, the call would answer {"slept": 5}.
    result = pool.invoke(spec("sleepy", timeout_seconds=0.5), '{"seconds": 5}')

    assert result.errored
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 0.50 seconds",
    }
    # The function's log says so, as on AWS (the handler could not): what tells a 502 of the API from its cause.
    lines = log_lines(spec("sleepy", timeout_seconds=0.5), result)
    assert f"RequestId: {result.request_id} Error: Task timed out after 0.50 seconds" in lines
    assert lines[-2] == f"END RequestId: {result.request_id}"
    assert wait_dead(warm)
    after = json.loads(pool.invoke(spec("sleepy", timeout_seconds=0.5), '{"seconds": 0}').payload)["pid"]
    assert after != warm


def test_crash_is_an_exit_error_and_the_next_call_works(pool: WorkerPoolRunner, spec: Spec) -> None:
    result = pool.invoke(spec("crash", function_name="fn-crashy"), "{}")

    assert result.errored
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in error["errorMessage"]
    assert any("Runtime exited with error: exit status 3" in line for line in log_lines(spec("crash"), result))
    assert not pool.invoke(spec("echo", function_name="fn-crashy"), "{}").errored


def test_new_code_or_environment_retires_old_workers(pool: WorkerPoolRunner, spec: Spec) -> None:
    v1 = json.loads(pool.invoke(spec("info"), "{}").payload)

    code_v2 = make_zip({"app/__init__.py": "", "app/handlers.py": "def info(event, context):\n    return 'v2'\n"})
    v2 = pool.invoke(spec("info", code_sha="sha-v2", code_bytes=code_v2), "{}")
    assert json.loads(v2.payload) == "v2"
    assert wait_dead(v1["pid"])

    v3 = json.loads(pool.invoke(spec("info", environment={"FOO": "changed"}), "{}").payload)
    assert v3["env"]["FOO"] == "changed"
    assert v3["pid"] != v1["pid"]
    assert len(pool.worker_pids("fn-info")) == 1


def test_parallel_calls_get_separate_workers(pool: WorkerPoolRunner, spec: Spec, tmp_path: Path) -> None:
    # Each call waits until all four have arrived: calls that ran one after another would never meet.
    event = json.dumps({"directory": str(tmp_path), "parties": 4, "timeout": 30})
    with ThreadPoolExecutor(4) as executor:
        results = [
            json.loads(r.payload) for r in executor.map(lambda _: pool.invoke(spec("rendezvous"), event), range(4))
        ]

    assert [result["met"] for result in results] == [True] * 4  # they ran side by side
    pids = {result["pid"] for result in results}
    assert len(pids) == 4
    assert sorted(pool.worker_pids("fn-rendezvous")) == sorted(pids)  # all kept warm


def test_workers_per_function_are_capped(spec: Spec) -> None:
    runner = WorkerPoolRunner(max_workers_per_function=2)
    try:
        with ThreadPoolExecutor(4) as executor:
            results = list(executor.map(lambda _: runner.invoke(spec("sleepy"), '{"seconds": 0.3}'), range(4)))
        assert all(not r.errored for r in results)
        assert len({json.loads(r.payload)["pid"] for r in results}) == 2
    finally:
        runner.close()


def test_concurrent_redeploys_never_mix_versions() -> None:
    """Callers of two code versions at once (a redeploy under load): each call runs its own version."""
    source = "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return '{}'\n"
    code = {v: make_zip({"m.py": source.format(v)}) for v in ("v1", "v2")}
    runner = WorkerPoolRunner(max_workers_per_function=2)

    def call(i: int) -> tuple[str, str]:
        version = ("v1", "v2")[i % 2]
        spec = FunctionSpec("redeployed", "m.handler", version, code[version], timeout_seconds=10)
        return version, json.loads(runner.invoke(spec, json.dumps({"sleep": (i % 3) / 100})).payload)

    try:
        with ThreadPoolExecutor(8) as executor:
            results = list(executor.map(call, range(16)))
        assert all(wanted == got for wanted, got in results)
        assert len(runner.worker_pids("redeployed")) <= 2
    finally:
        runner.close()


def test_close_stops_every_worker(spec: Spec) -> None:
    runner = WorkerPoolRunner()
    pids = [json.loads(runner.invoke(spec("echo", function_name=f"fn-{i}"), "{}").payload)["pid"] for i in range(3)]
    runner.close()
    assert all(wait_dead(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        runner.invoke(spec("echo"), "{}")


def test_workers_exit_when_their_parent_dies(tmp_path: Path, handlers_zip: bytes) -> None:
    """No orphans even when the server is SIGKILLed: a busy worker notices its parent is gone."""
    (tmp_path / "code.zip").write_bytes(handlers_zip)
    script = textwrap.dedent(
        f"""
        import json, os, threading
        from pathlib import Path
        from local_cloud.awslambda.runtime import FunctionSpec, WorkerPoolRunner
        code = Path({str(tmp_path / "code.zip")!r}).read_bytes()
        runner = WorkerPoolRunner(work_dir=Path({str(tmp_path)!r}))  # nothing left in /tmp
        idle = runner.invoke(FunctionSpec("idle", "app.handlers.echo", "s", code), "{{}}")
        busy = FunctionSpec("busy", "app.handlers.sleepy", "s", code, timeout_seconds=60)
        threading.Thread(target=runner.invoke, args=(busy, '{{"seconds": 60}}'), daemon=True).start()
        import time; time.sleep(1.5)
        print(json.dumps([json.loads(idle.payload)["pid"], *runner.worker_pids("busy")]), flush=True)
        os._exit(0)  # no close(), no atexit
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(INFRA)}, capture_output=True, text=True
    )
    pids = json.loads(done.stdout)
    assert len(pids) == 2, done.stderr
    assert all(wait_dead(pid) for pid in pids)


def test_warm_calls_reuse_one_worker_and_answer_as_in_process(pool: WorkerPoolRunner, spec: Spec) -> None:
    """A warm call is a pipe round trip to the same worker: no spawn, no import. How long it takes against an
    in-process call is the benchmark's to measure (`make bench`: warm_invoke_overhead_ms, target <= 2 ms)."""
    in_process = InProcessRunner()
    try:
        answers: dict[str, list[InvokeResult]] = {"pool": [], "in-process": []}
        for name, target in (("pool", pool), ("in-process", in_process)):
            answers[name] = [target.invoke(spec("noop"), json.dumps({"x": n})) for n in range(20)]
        expected = [{"x": n} for n in range(20)]
        assert [json.loads(r.payload) for r in answers["pool"]] == expected
        assert [json.loads(r.payload) for r in answers["in-process"]] == expected
        assert [r.init_duration_ms is None for r in answers["pool"]] == [False] + [True] * 19  # one cold start
        assert len({r.worker_id for r in answers["pool"]}) == 1
        assert len(pool.worker_pids("fn-noop")) == 1
    finally:
        in_process.close()


def test_pid_helper_sees_live_processes() -> None:
    assert pid_alive(os.getpid())
