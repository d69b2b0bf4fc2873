"""edgelogs:redact / edgelogs:exclude at preview: checked by the forwarder's own rule, then
handed to every regional forwarder's environment and to the operator commands."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from components.config import ConfigError, parse_config
from tests.deploy.harness import ProgramRun
from tests.deploy.tokens import FUNCTION

BASE = {"edgeFunctions": '["site-auth"]'}


def test_rules_reach_every_forwarder_and_the_stack_outputs(
        run: Callable[..., ProgramRun]) -> None:
    program = run({"edgeFunctions": ["site-auth"], "regions": ["us-east-1", "eu-west-1"],
                   "redact": ["ipv4", {"pattern": "session=[A-Za-z0-9]+",
                                       "replacement": "session=[REDACTED]"}],
                   "exclude": ["^DEBUG "]})
    functions = [f for f in program.of_type(FUNCTION) if "forwarder" in f.inputs["name"]]
    assert len(functions) == 2
    for fn in functions:
        env = fn.inputs["environment"]["variables"]
        assert env["REDACT"] == ('["ipv4",{"pattern":"session=[A-Za-z0-9]+",'
                                 '"replacement":"session=[REDACTED]"}]')
        assert env["EXCLUDE"] == '["^DEBUG "]'
    assert program.outputs["redaction"] == {
        "redact": ["ipv4", {"pattern": "session=[A-Za-z0-9]+",
                            "replacement": "session=[REDACTED]"}],
        "exclude": ["^DEBUG "]}


def test_no_rules_no_variables(run: Callable[..., ProgramRun]) -> None:
    program = run({"edgeFunctions": ["site-auth"], "regions": ["us-east-1"]})
    (fn,) = [f for f in program.of_type(FUNCTION) if "forwarder" in f.inputs["name"]]
    assert "REDACT" not in fn.inputs["environment"]["variables"]
    assert program.outputs["redaction"] == {"redact": [], "exclude": []}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("exclude", [".*"], "edgelogs:exclude[0]: '.*' matches everything (even an empty message)"),
    ("exclude", ["^"], "edgelogs:exclude[0]: '^' matches everything"),
    ("exclude", ["(?:)"], "edgelogs:exclude[0]: '(?:)' matches everything"),
    ("exclude", [".?"], "edgelogs:exclude[0]: '.?' matches everything"),
    ("exclude", ["^DEBUG ", ""], "edgelogs:exclude[1]: is empty"),
    ("exclude", ["(unclosed"], "edgelogs:exclude[0]: '(unclosed' is not a valid regular "
                               "expression (missing ), unterminated subpattern at position 0)"),
    ("exclude", "^DEBUG ", "edgelogs:exclude must be a list of regular expressions"),
    ("redact", ["ipv5"], "edgelogs:redact[0]: 'ipv5' is not a built-in; allowed: ipv4, ipv6, "
                         "email, bearer, card, or {pattern, replacement}"),
    ("redact", [{"pattern": "x*"}], "edgelogs:redact[0]: pattern 'x*' matches everything"),
    ("redact", [{"pattern": "(?=k)"}], "edgelogs:redact[0]: pattern '(?=k)' can match an empty "
                                       "string"),
    ("redact", [{"replacement": "x"}], "edgelogs:redact[0]: pattern is required"),
    ("redact", [{"pattern": r"token=\w+", "replacement": "token=hidden"}],
     "edgelogs:redact[0]: replacement 'token=hidden' matches its own pattern"),
])
def test_bad_values_are_refused_naming_the_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, key: json.dumps(value)}, stack="dev")
    assert message in str(info.value)


def test_accepted_values() -> None:
    config = parse_config({**BASE, "redact": '["ipv4","ipv6","email","bearer","card"]',
                           "exclude": '["^DEBUG ", "^$"]'}, stack="dev")
    assert config.redact_json == '["ipv4","ipv6","email","bearer","card"]'
    assert config.exclude_json == '["^DEBUG ","^$"]'


def test_rules_must_fit_the_functions_environment() -> None:
    many = [{"pattern": f"secret{i:03d}=[a-z]+"} for i in range(150)]
    with pytest.raises(ConfigError, match="at most 3072 fit in the forwarder's environment"):
        parse_config({**BASE, "redact": json.dumps(many)}, stack="dev")
