"""Every function of template.yaml has a sample event in events/, the file `sam local invoke -e` takes: named
after the function in snake case (events/orders_service.json for OrdersServiceFunction), the API's as
events/api_*.json. tests/statemachine/test_sample_events.py runs them."""

import re
from pathlib import Path

from deployer.template import load_template

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = load_template(ROOT / "template.yaml")["Resources"]


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_function_has_a_sample_event() -> None:
    functions = [name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::Serverless::Function"]
    missing = []
    for function in functions:
        stem = snake(function.removesuffix("Function"))
        pattern = f"{stem}_*.json" if function == "ApiFunction" else f"{stem}.json"
        if not list((ROOT / "events").glob(pattern)):
            missing.append(f"{function}: events/{pattern}")
    assert functions
    assert not missing, f"functions without a sample event: {missing}"
