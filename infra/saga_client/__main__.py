"""python -m saga_client {demo,seed,token,bench,chaos,flashsale,resume,replay,redrive,sam-env,localstack-check}
— clients of the deployed checkout saga."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import deployer
from saga_client.api_client import ApiError, CheckoutApi
from saga_client.bench_cli import add_bench_arguments, run_bench_command
from saga_client.chaos_cli import add_chaos_arguments, add_resume_arguments, run_chaos_command, run_resume_command
from saga_client.demo import run_demo
from saga_client.flashsale import add_flashsale_arguments, run_flashsale_command
from saga_client.identity import OPERATORS_GROUP, StackIdentities
from saga_client.localstack_services import check as check_localstack
from saga_client.redrive import STREAM_FAILURES, redrive, stream_failures
from saga_client.replay import parse_moment, replay
from saga_client.sam_env import write_env_file
from saga_client.seed import seed_catalog
from saga_client.stack_access import stack_outputs
from saga_client.stack_data import StackData


def main(argv: list[str] | None = None) -> int:
    port = int(os.environ.get("LOCAL_CLOUD_PORT", "4566"))
    parser = argparse.ArgumentParser(prog="python -m saga_client", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="one CONFIRMED and one compensated checkout on the local cloud")
    demo.add_argument("--port", type=int, default=port)
    demo.add_argument("--stack-name", default="checkout-saga")
    seed = commands.add_parser("seed", help="put the sample catalog through the API")
    seed.add_argument("--endpoint-url", default=f"http://localhost:{port}")
    seed.add_argument("--stack-name", default="checkout-saga")
    add_bench_arguments(commands.add_parser("bench", help="benchmark the saga on the local cloud (make bench)"), port)
    add_chaos_arguments(commands.add_parser("chaos", help="faults, duplicates and races; invariants checked"), port)
    add_flashsale_arguments(commands.add_parser("flashsale", help="one SKU's flash sale past the hot-key limit"))
    add_resume_arguments(commands.add_parser("resume", help="finish the undo of a COMPENSATION_FAILED saga"), port)
    replay_command = commands.add_parser("replay", help="replay the saga events' archive to the read models")
    replay_command.add_argument("--endpoint-url", default=f"http://localhost:{port}")
    replay_command.add_argument("--stack-name", default="checkout-saga")
    replay_command.add_argument("--since", required=True, help="ISO 8601 time: the first events replayed")
    replay_command.add_argument("--until", default="", help="ISO 8601 time (default: now): replayed up to it")
    redrive = commands.add_parser("redrive", help="every dead-letter queue's messages back to their source queue")
    redrive.add_argument("--endpoint-url", default=f"http://localhost:{port}")
    redrive.add_argument("--stack-name", default="checkout-saga")
    token = commands.add_parser("token", help="print a Cognito ID token of the stack's user pool (make token)")
    token.add_argument("--endpoint-url", default=f"http://localhost:{port}")
    token.add_argument("--stack-name", default="checkout-saga")
    token.add_argument("--user", required=True)
    token.add_argument("--group", default="", help=f"e.g. {OPERATORS_GROUP}: the user is put in that group too")
    sam_env = commands.add_parser("sam-env", help="write the `sam local invoke --env-vars` file of a deployed stack")
    sam_env.add_argument("--endpoint-url", default=f"http://localhost:{port}")
    sam_env.add_argument("--stack-name", default="checkout-saga")
    sam_env.add_argument("--container-endpoint", required=True, help="the emulator's URL as a container reaches it")
    sam_env.add_argument("--output", type=Path, required=True)
    localstack = commands.add_parser("localstack-check", help="does LocalStack run every service the template needs?")
    localstack.add_argument("--endpoint-url", default="http://localhost:4566")
    localstack.add_argument("--template", type=Path, default=Path("template.yaml"))
    args = parser.parse_args(argv)

    try:
        if args.command == "demo":
            return run_demo(args.port, args.stack_name)
        if args.command == "bench":
            return run_bench_command(args)
        if args.command == "chaos":
            return run_chaos_command(args)
        if args.command == "resume":
            return run_resume_command(args)
        if args.command == "flashsale":
            return run_flashsale_command(args)
        if args.command == "localstack-check":
            return check_localstack(args.endpoint_url, args.template)
        if args.command == "sam-env":
            outputs = stack_outputs(args.endpoint_url, args.stack_name)
            write_env_file(args.output, outputs, args.container_endpoint)
            print(f"wrote {args.output}", file=sys.stderr)
            return 0
        outputs = stack_outputs(args.endpoint_url, args.stack_name)
        if args.command == "replay":
            until = parse_moment(args.until) if args.until else None
            result = replay(StackData(outputs, args.endpoint_url), parse_moment(args.since), until)
            if result.state != "COMPLETED":
                print(f"error: replay {result.name} ended {result.state}: {result.reason}", file=sys.stderr)
            return 0 if result.state == "COMPLETED" else 1
        if args.command == "redrive":
            return run_redrive(StackData(outputs, args.endpoint_url))
        identities = StackIdentities.of(outputs, args.endpoint_url)
        if args.command == "token":
            print(identities.token(args.user, group=args.group or None))
            return 0
        products = seed_catalog(CheckoutApi(outputs["ApiUrl"], token=identities.operator()))
        print(f"seeded {len(products)} products: {', '.join(product['sku'] for product in products)}", file=sys.stderr)
        return 0
    except (deployer.DeployError, ApiError, TimeoutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run_redrive(stack: StackData) -> int:
    for redriven in redrive(stack):
        print(redriven.line())
    failures = stream_failures(stack)
    if failures:
        print(f"redrive: {failures} batch(es) of the outbox stream the publisher gave up on stay in {STREAM_FAILURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
