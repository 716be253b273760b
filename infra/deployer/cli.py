"""python -m deployer {deploy,outputs,plan}: progress on stderr, results (JSON) on stdout."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .clients import DEFAULT_REGION, default_endpoint_url
from .engine import deploy, prepare
from .errors import DeployError
from .outputs import read_outputs
from .parameters import parse_overrides


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deployer",
        description="Deploy template.yaml (SAM) to the local cloud, LocalStack or another "
        "AWS-compatible endpoint, without CloudFormation.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def target_options(command: argparse.ArgumentParser, *, endpoint: bool = True) -> None:
        command.add_argument("--stack-name", default="checkout-saga")
        command.add_argument("--region", default=DEFAULT_REGION)
        if not endpoint:
            return
        command.add_argument(
            "--endpoint-url",
            default=default_endpoint_url(),
            help="default: http://localhost:${LOCAL_CLOUD_PORT:-4566}",
        )

    def template_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--template", default="template.yaml")
        command.add_argument(
            "--parameter-overrides",
            nargs="+",
            default=[],
            metavar="KEY=VALUE",
            help="template parameters, e.g. LocalEndpoint=http://localhost:4566",
        )

    deploy_command = commands.add_parser("deploy", help="create or update the stack")
    target_options(deploy_command)
    template_options(deploy_command)
    deploy_command.add_argument(
        "--with-dependencies",
        action="store_true",
        help="also install each function's requirements.txt into its package "
        "(for LocalStack and AWS, whose runtimes only have boto3)",
    )
    outputs_command = commands.add_parser("outputs", help="print the stack outputs as JSON")
    target_options(outputs_command)
    plan_command = commands.add_parser(
        "plan", help="check the template and print the resources in deploy order (offline)"
    )
    target_options(plan_command, endpoint=False)
    template_options(plan_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "deploy":
            outputs = deploy(
                args.template,
                stack_name=args.stack_name,
                endpoint_url=args.endpoint_url,
                region=args.region,
                parameter_overrides=parse_overrides(args.parameter_overrides),
                with_dependencies=args.with_dependencies,
            )
            print(json.dumps(outputs, indent=2, sort_keys=True))
        elif args.command == "outputs":
            outputs = read_outputs(stack_name=args.stack_name, endpoint_url=args.endpoint_url, region=args.region)
            print(json.dumps(outputs, indent=2, sort_keys=True))
        else:
            _, plan = prepare(
                args.template,
                stack_name=args.stack_name,
                endpoint_url=None,  # never contacted: prepare() works offline
                region=args.region,
                parameter_overrides=parse_overrides(args.parameter_overrides),
            )
            for logical_id in plan.order:
                print(f"{plan.resources[logical_id]['Type']:<34} {logical_id}")
    except DeployError as exc:
        print(f"deployer: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`| head`): silence the interpreter's flush of stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
