"""The deployer reads templates with libyaml (deployer.template.parse_template_text): the same documents as
samtranslator's pure-Python yaml_parse, which `sam` itself uses."""

from pathlib import Path

import pytest
import yaml
from samtranslator.yaml_helper import yaml_parse

from deployer.template import parse_template_text

ROOT = Path(__file__).resolve().parents[2]


def test_libyaml_is_there() -> None:
    assert yaml.__with_libyaml__, "PyYAML without libyaml: templates are read by the pure-Python parser, 8x slower"


@pytest.mark.parametrize("path", ["template.yaml", "docker-compose.yml"])
def test_the_project_files_read_as_samtranslator_reads_them(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert parse_template_text(text) == yaml_parse(text)


def test_every_short_form_tag_reads_as_samtranslator_reads_it() -> None:
    text = """
A: !Ref Thing
B: !GetAtt Thing.Arn
C: !GetAtt [Thing, Arn]
D: !Sub "${AWS::Region}-x"
E: !If [IsProd, !Ref A, !Ref "AWS::NoValue"]
F: !Condition IsProd
G: !Join [",", [a, b]]
H: !Select [0, !GetAZs ""]
"""
    parsed = parse_template_text(text)
    assert parsed == yaml_parse(text)
    assert parsed["B"] == {"Fn::GetAtt": ["Thing", "Arn"]}
    assert parsed["F"] == {"Condition": "IsProd"}


def test_a_compact_json_template_reads_as_samtranslator_reads_it() -> None:
    text = '{"Resources":{"Queue":{"Type":"AWS::SQS::Queue","Properties":{"DelaySeconds":1.5,"Fifo":true}}}}'
    assert (
        parse_template_text(text)
        == yaml_parse(text)
        == {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1.5, "Fifo": True}}}}
    )
