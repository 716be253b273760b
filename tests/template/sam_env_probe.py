"""Run with .venv-sam's python: the environment `sam local invoke --env-vars FILE` gives each function's
container, computed by SAM CLI's own code (the template read as `sam local` reads it, then
LocalLambdaRunner's merge of template, shell and file), without Docker. Prints {function: environment} as JSON.

    sam_env_probe.py TEMPLATE ENV_VARS_FILE FUNCTION...
"""

import json
import sys

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider


def main(template: str, env_vars_file: str, *functions: str) -> None:
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    provider = SamFunctionProvider(stacks, ignore_code_extraction_warnings=True)
    with open(env_vars_file, encoding="utf-8") as file:
        values = json.load(file)
    runner = LocalLambdaRunner(None, provider, ".", ".", aws_region="us-east-1", env_vars_values=values)  # type: ignore[arg-type]
    environments = {name: runner._make_env_vars(runner.get_function(name)).resolve() for name in functions}
    json.dump(environments, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
