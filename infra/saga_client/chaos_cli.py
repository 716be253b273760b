"""The `chaos` and `resume` subcommands (python -m saga_client chaos | resume ORDER_ID)."""

from __future__ import annotations

import argparse
import sys

import boto3

from saga_client.api_client import CheckoutApi
from saga_client.chaos import Cloud, render, run_chaos
from saga_client.demo import local_cloud, say
from saga_client.resume import NotResumable, resume_compensation
from saga_client.stack_access import deploy_stack, stack_outputs


def add_chaos_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--port", type=int, default=default_port, help="local cloud port (reused if running)")
    parser.add_argument("--stack-name", default="checkout-saga")
    parser.add_argument("--sagas", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--concurrency", type=int, default=8)


def add_resume_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("order_id")
    parser.add_argument("--endpoint-url", default=f"http://localhost:{default_port}")
    parser.add_argument("--stack-name", default="checkout-saga")


def run_chaos_command(args: argparse.Namespace) -> int:
    with local_cloud(args.port) as endpoint:
        say("deploying template.yaml")
        outputs = deploy_stack(endpoint, args.stack_name, log=lambda _line: None)
        cloud = Cloud(CheckoutApi(outputs["ApiUrl"]), outputs, endpoint)
        report = run_chaos(cloud, args.sagas, args.seed, args.concurrency, say=say)
    print(render(report))
    return 1 if report.violations else 0


def run_resume_command(args: argparse.Namespace) -> int:
    outputs = stack_outputs(args.endpoint_url, args.stack_name)
    order = CheckoutApi(outputs["ApiUrl"]).order(args.order_id)
    sfn = boto3.client("stepfunctions", endpoint_url=args.endpoint_url, region_name="us-east-1")
    try:
        status = resume_compensation(sfn, outputs["CheckoutStateMachineArn"], order["status"], args.order_id)
    except NotResumable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    final = CheckoutApi(outputs["ApiUrl"]).order(args.order_id)["status"]
    print(f"resume execution {status}; order {args.order_id} is now {final}")
    return 0 if final == "CANCELLED" else 1
