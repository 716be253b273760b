"""Load a SAM/CloudFormation template and translate it with aws-sam-translator.

Local paths (CodeUri, DefinitionUri) are first swapped for S3-looking placeholders, as
`sam package` would after uploading them, because the translator only accepts S3
locations. The placeholders map back to the local files, which the provisioners read.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import intrinsics_multi_constructor

from .errors import TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
ARTIFACT_BUCKET = "deployer-local-artifacts"

# transform() never publishes its metrics, so their destructor would warn after every run.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
# With no feature toggle configuration (AWS's is internal), each DeploymentPreference asks for a feature and warns.
logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)

# (resource type, property) pairs that `sam package` uploads; the same pairs in Globals.
_PACKAGEABLE: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
}
_PACKAGEABLE_GLOBALS: dict[str, tuple[str, ...]] = {
    "Function": ("CodeUri",),
    "Api": ("DefinitionUri",),
}


@dataclass
class Template:
    """A template ready to provision: plain CloudFormation plus the local artifacts."""

    path: Path
    cfn: dict[str, Any]
    # S3 key of a placeholder -> the local file or directory it stands for.
    artifacts: dict[str, Path] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def local_artifact(self, bucket: Any, key: Any) -> Path | None:
        """The local path behind an S3 location, or None for a real S3 object."""
        if bucket != ARTIFACT_BUCKET or not isinstance(key, str):
            return None
        return self.artifacts.get(key)


class _NoManagedPolicies:
    """Offline policy loader: the translator only needs it for policies given by name."""

    def load(self) -> dict[str, str]:
        return {}


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """samtranslator's YAML reading (its short-form tags: !Ref, !Sub, ...) on libyaml's scanner: 0.04 s for
    template.yaml instead of its pure-Python 0.35 s, which the tests pay at every deploy and import. Its own class,
    so that yaml's SafeLoader is left as it is (samtranslator's yaml_parse registers the tags on it)."""


_TemplateLoader.add_multi_constructor("!", intrinsics_multi_constructor)


def parse_template_text(text: str) -> Any:
    """A template's text as samtranslator's yaml_parse reads it (tests/deployer/test_template_parse.py)."""
    return yaml.load(text, Loader=_TemplateLoader)


@lru_cache(maxsize=8)
def _parsed(text: str) -> Any:
    """The same text gives the same document: a test session loads template.yaml for every deploy."""
    return parse_template_text(text)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a template file, short-form tags (!Ref, !Sub, ...) included."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc.strerror}") from exc
    try:
        parsed = copy.deepcopy(_parsed(text))  # the caller may change it; the parse is kept
    except Exception as exc:  # yaml and json raise different error classes
        raise TemplateError(f"{path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources section")
    return parsed


def translate(path: Path, raw: Mapping[str, Any], parameter_values: Mapping[str, Any], region: str) -> Template:
    """Return the CloudFormation form of `raw` (loaded from `path`)."""
    fragment = copy.deepcopy(dict(raw))
    transforms = fragment.get("Transform", [])
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    others = [t for t in transforms if t != SAM_TRANSFORM]
    if others:
        raise TemplateError(f"unsupported Transform {others[0]!r} (only {SAM_TRANSFORM})")
    if not transforms:
        return Template(path=path, cfn=fragment)

    artifacts = _replace_local_paths(fragment, path.parent)
    try:
        with _region_env(region):
            cfn = transform(fragment, dict(parameter_values), _NoManagedPolicies())
    except InvalidDocumentException as exc:
        causes = "; ".join(cause.message for cause in exc.causes) or exc.message
        raise TemplateError(f"SAM transform failed: {causes}") from exc
    return Template(path=path, cfn=cfn, artifacts=artifacts)


def _replace_local_paths(fragment: dict[str, Any], base_dir: Path) -> dict[str, Path]:
    artifacts: dict[str, Path] = {}

    def swap(owner: dict[str, Any], prop: str, where: str) -> None:
        value = owner.get(prop)
        if not isinstance(value, str) or value.startswith("s3://"):
            return  # already an S3 location, or an intrinsic the translator resolves
        local = (base_dir / value).resolve()
        if not local.exists():
            raise TemplateError(f"{where}: {prop} {value!r} does not exist (looked at {local})")
        root = base_dir.resolve()
        key = local.relative_to(root).as_posix() if local.is_relative_to(root) else str(local)
        key = key.lstrip("/") or "."
        artifacts[key] = local
        owner[prop] = f"s3://{ARTIFACT_BUCKET}/{key}"

    globals_ = fragment.get("Globals")
    if isinstance(globals_, dict):
        for section, props in _PACKAGEABLE_GLOBALS.items():
            body = globals_.get(section)
            if isinstance(body, dict):
                for prop in props:
                    swap(body, prop, f"Globals.{section}")
    for logical_id, resource in fragment["Resources"].items():
        if not isinstance(resource, dict):
            raise TemplateError(f"resource {logical_id} is not a mapping")
        properties = resource.get("Properties")
        for prop in _PACKAGEABLE.get(resource.get("Type", ""), ()):
            if isinstance(properties, dict):
                swap(properties, prop, logical_id)
    return artifacts


@contextmanager
def _region_env(region: str) -> Iterator[None]:
    """The translator reads the region (for partition-specific ARNs) from the environment."""
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if previous is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
