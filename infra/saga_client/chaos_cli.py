"""The `chaos` and `resume` subcommands: python -m saga_client chaos --sagas N --seed S | resume ORDER_ID."""

from __future__ import annotations

import argparse
import sys

from saga_client.chaos import run_chaos
from saga_client.chaos_report import render
from saga_client.chaos_scenario import ChaosOptions
from saga_client.choreography_stack import COORDINATIONS
from saga_client.demo import local_cloud, say
from saga_client.resume import NotResumable, resume_compensation
from saga_client.stack_access import deploy_stack, stack_outputs
from saga_client.stack_data import StackData

WORKFLOWS = ("STANDARD", "EXPRESS")


def add_chaos_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument(
        "--port", type=int, default=default_port, help="local cloud port (used if running, else started)"
    )
    parser.add_argument("--stack-name", default="checkout-saga")
    parser.add_argument(
        "--sagas", type=int, default=200, help="random checkouts (the race, pivot and stuck sagas come on top)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=100, help="sagas per random fault plan")
    parser.add_argument(
        "--coordination", choices=COORDINATIONS, default="orchestration", help="how the checkouts are coordinated"
    )
    parser.add_argument(
        "--workflow",
        choices=WORKFLOWS,
        default="STANDARD",
        help="the checkout state machine's type; EXPRESS deploys the stack <stack-name>-express and has the local "
        "cloud run --duplicate-rate of its executions twice",
    )
    parser.add_argument("--duplicate-rate", type=float, default=0.3, help="EXPRESS: executions started twice (0-1)")


def add_resume_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("order_id")
    parser.add_argument("--endpoint-url", default=f"http://localhost:{default_port}")
    parser.add_argument("--stack-name", default="checkout-saga")
    parser.add_argument("--timeout", type=float, default=180.0)


def run_chaos_command(args: argparse.Namespace) -> int:
    options = ChaosOptions(
        sagas=args.sagas,
        seed=args.seed,
        concurrency=args.concurrency,
        batch_size=args.batch_size,
        coordination=args.coordination,
        workflow=args.workflow,
        duplicate_rate=args.duplicate_rate,
    )
    if not 0 <= args.duplicate_rate <= 1:
        print(f"error: --duplicate-rate {args.duplicate_rate} is not between 0 and 1", file=sys.stderr)
        return 2
    # A state machine's type cannot change in place: the Express checkout is a stack of its own.
    express = args.workflow == "EXPRESS"
    stack_name = f"{args.stack_name}-express" if express else args.stack_name
    overrides = {"CheckoutWorkflowType": args.workflow}
    with local_cloud(args.port) as endpoint:
        say(f"deploying template.yaml to {endpoint} (stack {stack_name}, {args.workflow} checkout)")
        stack = StackData(deploy_stack(endpoint, stack_name, log=lambda _line: None, overrides=overrides), endpoint)
        report = run_chaos(stack, options, say=say)
    print(render(report), flush=True)
    return 1 if report.violations else 0


def run_resume_command(args: argparse.Namespace) -> int:
    stack = StackData(stack_outputs(args.endpoint_url, args.stack_name), args.endpoint_url)
    try:
        say(f"resuming the compensation of order {args.order_id}")
        resumed = resume_compensation(stack, args.order_id, timeout=args.timeout)
    except NotResumable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"resume execution {resumed.execution_arn} ended {resumed.execution_status}; "
        f"order {resumed.order_id} is now {resumed.order_status}"
    )
    return 0 if resumed.order_status == "CANCELLED" else 1
