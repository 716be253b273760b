"""Deploys template.yaml (SAM) to the local cloud, LocalStack or any AWS-compatible endpoint.

template.yaml is the only description of the stack: it is translated with aws-sam-translator
and every resulting CloudFormation resource is created or updated with boto3.
"""

from .engine import deploy
from .errors import (
    DeployError,
    EndpointUnreachableError,
    StackNotDeployedError,
    TemplateError,
    UnsupportedResourceError,
)
from .outputs import read_outputs

__all__ = [
    "DeployError",
    "EndpointUnreachableError",
    "StackNotDeployedError",
    "TemplateError",
    "UnsupportedResourceError",
    "deploy",
    "read_outputs",
]
