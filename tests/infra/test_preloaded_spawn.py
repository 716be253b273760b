"""Workers forked from the zygote (preloaded_spawn.py) are the environments a fresh interpreter would be: the same
variables, paths, working directory and output, their own copy of a library where the package ships one, and
exits and kills reported as for a child process."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local_cloud.awslambda.runtime import FunctionSpec, WorkerPoolRunner
from tests.infra.conftest import make_zip, pid_alive, wait_dead

INTROSPECT = """
import json, os, sys

PRELOADED_BEFORE_IMPORT = "boto3" in sys.modules  # module-level code runs at the cold start, in either kind
import pydantic  # the package's own copy when it ships one

print("cold start", flush=False)


def introspect(event, context):
    print("called with", json.dumps(event))
    print("on stderr too", file=sys.stderr)
    return {
        "env": dict(os.environ),
        "path": sys.path,
        "cwd": os.getcwd(),
        "preloaded": PRELOADED_BEFORE_IMPORT,
        "pydantic": pydantic.__file__,
        "parent": os.getppid(),
        "pid": os.getpid(),
    }


def crash(event, context):
    os._exit(3)
"""
Spec = Callable[..., FunctionSpec]


def _spec(files: dict[str, str], handler: str = "introspect", **overrides: object) -> FunctionSpec:
    fields: dict[str, object] = {
        "function_name": f"fn-{handler}",
        "handler": f"app.handlers.{handler}",
        "code_sha": f"sha-{sorted(files)}",
        "code_bytes": make_zip(files),
        "environment": {"FOO": "bar"},
        "timeout_seconds": 10.0,
    }
    fields.update(overrides)
    return FunctionSpec(**fields)  # type: ignore[arg-type]


APP = {"app/__init__.py": "", "app/handlers.py": INTROSPECT}


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[WorkerPoolRunner, WorkerPoolRunner]]:
    forked = WorkerPoolRunner("http://127.0.0.1:9")
    monkeypatch.setenv("LOCAL_CLOUD_PRELOAD", "0")
    fresh = WorkerPoolRunner("http://127.0.0.1:9")
    fresh_result = fresh.invoke(_spec(APP), "{}")  # the setting is read at the first cold start
    monkeypatch.delenv("LOCAL_CLOUD_PRELOAD")
    assert not fresh_result.errored, fresh_result.payload
    yield forked, fresh
    forked.close()
    fresh.close()


def _normalized(environment: dict[str, str], code_dir: str) -> dict[str, str]:
    """Each pool unpacks the code in a directory of its own; each worker has its log stream, each call its trace."""
    per_call = ("AWS_LAMBDA_LOG_STREAM_NAME", "_X_AMZN_TRACE_ID")
    return {name: value.replace(code_dir, "<code>") for name, value in environment.items() if name not in per_call}


def _unique(paths: list[str]) -> list[str]:
    return list(dict.fromkeys(paths))


def test_a_forked_worker_is_the_environment_a_fresh_interpreter_is(
    pools: tuple[WorkerPoolRunner, WorkerPoolRunner],
) -> None:
    forked, fresh = pools
    from_zygote = forked.invoke(_spec(APP), json.dumps({"n": 1}))
    from_scratch = fresh.invoke(_spec(APP), json.dumps({"n": 1}))
    assert not from_zygote.errored, from_zygote.payload
    ours, theirs = json.loads(from_zygote.payload), json.loads(from_scratch.payload)

    assert ours["preloaded"] is True  # the one intended difference
    assert theirs["preloaded"] is False
    assert ours["parent"] != os.getpid()  # the zygote's child, not the server's
    assert _normalized(ours["env"], ours["cwd"]) == _normalized(theirs["env"], theirs["cwd"])
    assert ours["env"]["LAMBDA_TASK_ROOT"] == ours["cwd"]
    assert _unique(ours["path"]) == _unique([ours["cwd"] if p == theirs["cwd"] else p for p in theirs["path"]])
    assert ours["pydantic"].startswith(sys.prefix)  # the interpreter's, as a fresh worker imports it
    # What the handler prints, on stdout or stderr, is the call's log (the cold start's line with the first call).
    assert 'called with {"n": 1}' in from_zygote.logs
    assert "on stderr too" in from_zygote.logs
    assert "cold start" in from_zygote.logs


def test_a_package_with_its_own_copy_of_a_preloaded_library_runs_its_copy(
    pools: tuple[WorkerPoolRunner, WorkerPoolRunner],
) -> None:
    forked, _ = pools
    shipped = {**APP, "pydantic/__init__.py": "VERSION = 'shipped'\n"}
    result = forked.invoke(_spec(shipped), "{}")
    assert not result.errored, result.payload
    body = json.loads(result.payload)
    assert body["pydantic"] == str(Path(body["cwd"]) / "pydantic" / "__init__.py")
    assert body["preloaded"] is False  # a fresh interpreter ran it
    assert body["parent"] == os.getpid()


def test_a_variable_read_at_import_set_otherwise_gets_a_fresh_interpreter(
    pools: tuple[WorkerPoolRunner, WorkerPoolRunner],
) -> None:
    forked, _ = pools
    result = forked.invoke(_spec(APP, environment={"POWERTOOLS_DEBUG": "true"}), "{}")
    body = json.loads(result.payload)
    assert body["preloaded"] is False
    assert body["env"]["POWERTOOLS_DEBUG"] == "true"


def test_a_forked_worker_that_dies_is_reported_with_its_exit_status(
    pools: tuple[WorkerPoolRunner, WorkerPoolRunner],
) -> None:
    forked, _ = pools
    result = forked.invoke(_spec(APP, handler="crash"), "{}")
    assert result.errored
    assert "exit status 3" in json.loads(result.payload)["errorMessage"]


def test_closing_the_pool_ends_the_zygote_and_its_workers(pools: tuple[WorkerPoolRunner, WorkerPoolRunner]) -> None:
    forked, _ = pools
    body = json.loads(forked.invoke(_spec(APP), "{}").payload)
    worker, zygote = body["pid"], body["parent"]
    assert pid_alive(worker)
    assert pid_alive(zygote)
    server_side = forked._zygote
    assert server_side is not None
    forked.close()
    assert server_side.returncode == 0  # it read the pool's EOF and exited, it was not killed
    assert wait_dead(worker)
    assert wait_dead(zygote)
