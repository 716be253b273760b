"""Expected failures. The CLI prints them as one line (no traceback) and exits non-zero."""


class DeployError(Exception):
    """Base class of every error the deployer expects and explains."""


class TemplateError(DeployError):
    """The template (or a file it points to) cannot be deployed as written."""


class UnsupportedResourceError(TemplateError):
    """A resource type (after the SAM transform) that no provisioner handles."""


class EndpointUnreachableError(DeployError):
    """Nothing answers at the target endpoint."""


class StackNotDeployedError(DeployError):
    """The target holds no outputs for the stack."""
