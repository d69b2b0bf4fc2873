"""Pulumi.yaml declares exactly the config keys the program reads, and the example stack works."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import yaml

from components.config import DEFAULT_REGIONS, KEYS, parse_config
from tests.deploy.expected import coverage_check_counts, expected_counts
from tests.deploy.harness import REPO

PROJECT = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
DEV = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())


def _as_pulumi_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def test_project_identity() -> None:
    assert PROJECT["name"] == "edgelogs"
    assert PROJECT["runtime"]["name"] == "python"


def test_project_declares_exactly_the_program_keys() -> None:
    assert set(PROJECT["config"]) == set(KEYS)
    for key, decl in PROJECT["config"].items():
        assert decl.get("description"), key
        # Pulumi only types these; an untyped key must carry a default or it becomes required
        assert decl.get("type") in (None, "string", "integer", "boolean", "array"), key
        if decl.get("type") == "array":
            assert decl["items"] == {"type": "string"}, key
    required = [k for k, d in PROJECT["config"].items() if "default" not in d]
    assert required == ["edgeFunctions"]


def test_edge_functions_declaration_accepts_objects() -> None:
    # Pulumi checks a typed key's value against its type: `items: {type: string}` would
    # refuse a {name, logGroup} entry before the program runs, so the key is untyped.
    decl = PROJECT["config"]["edgeFunctions"]
    assert "type" not in decl and "items" not in decl
    assert "logGroup" in decl["description"]
    coverage = PROJECT["config"]["coverageCheck"]
    assert (coverage["type"], coverage["default"]) == ("boolean", True)


def test_project_defaults_mean_the_same_as_the_programs() -> None:
    defaults = {k: _as_pulumi_string(d["default"]) for k, d in PROJECT["config"].items()
                if "default" in d}  # fmt: skip
    assert json.loads(defaults["regions"]) == list(DEFAULT_REGIONS)
    from_yaml = parse_config({**defaults, "edgeFunctions": '["a"]'}, stack="s", aws_region=None)
    from_code = parse_config({"edgeFunctions": '["a"]'}, stack="s", aws_region=None)
    assert from_yaml == from_code


def test_example_stack_is_valid_and_deploys_under_mocks(run) -> None:
    config = {k: v for k, v in DEV["config"].items()}
    edgelogs = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("edgelogs:")}
    cfg = parse_config(
        {k: _as_pulumi_string(v) for k, v in edgelogs.items()},
        stack="dev",
        aws_region=config.get("aws:region"),
    )
    assert len(cfg.regions) == 7 and cfg.alarm_email is None
    result = run(config)
    assert result.counts() == expected_counts(regions=7, sources=2) + coverage_check_counts()


def test_example_stack_names_nothing_that_must_already_exist() -> None:
    # A real preview reads every existingLogGroups entry (LogGroup.get) and fails on a group
    # that is not there; a made-up distribution id or admin would be deployed as if real.
    config = DEV["config"]
    assert config["edgelogs:existingLogGroups"] == {}
    assert config["edgelogs:distributionIds"] == []
    assert config["edgelogs:adminPrincipals"] == []
    assert "edgelogs:alarmEmail" not in config


def test_no_registry_hosts_in_deploy_files() -> None:
    files = [REPO / "Pulumi.yaml", REPO / "Pulumi.dev.yaml", REPO / "__main__.py"]
    files += sorted((REPO / "components").glob("*.py"))
    files += sorted(Path(__file__).parent.glob("*.py"))
    needles = ("pypi" + ".org", "files." + "pythonhosted", "registry." + "npmjs")
    for f in files:
        text = f.read_text()
        assert not any(n in text for n in needles), f


def test_running_the_program_outside_pulumi_says_how_to_run_it() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(REPO / "__main__.py")], capture_output=True,
                            text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "pulumi preview" in result.stderr and "pulumi up" in result.stderr


# --- the README's Deploy section, as a new user runs it ------------------------------------

def _deploy_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Deploy\n"):]
    block = section[section.index("```\n") + 4:]
    return [line.split("  #")[0].strip() for line in block[:block.index("```")].splitlines()]


# What a user puts where the README shows a placeholder.
PLACEHOLDERS = {
    "<account id>": "111122223333", "<role>": "log-readers",
    "<the map edgelogs audit printed>":
        '{"us-east-1":["/aws/lambda/us-east-1.viewer-request-auth"]}',
}


def test_deploy_appends_the_example_config_and_never_overwrites_the_stack_file() -> None:
    commands = _deploy_commands()
    init = commands.index("pulumi stack init prod")
    append = next(i for i, c in enumerate(commands) if "Pulumi.dev.yaml" in c)
    assert append > init
    assert commands[append] == "sed -n '/^config:/,$p' Pulumi.dev.yaml >> Pulumi.prod.yaml"
    assert not any(c.startswith("cp ") for c in commands)
    # What sed appends: from `config:` to the end, i.e. exactly the example's config.
    text = (REPO / "Pulumi.dev.yaml").read_text()
    appended = text[text.index("\nconfig:\n") + 1:]
    assert yaml.safe_load(appended) == DEV


def test_deploy_config_set_lines_set_whole_values_the_project_accepts() -> None:
    commands = _deploy_commands()
    audit = commands.index("edgelogs audit")
    assert audit < commands.index("pulumi up")
    sets = [shlex.split(c) for c in commands if c.startswith("pulumi config set")]
    assert [s[3] for s in sets] == ["edgelogs:edgeFunctions", "edgelogs:adminPrincipals",
                                    "edgelogs:existingLogGroups"]
    raw = {k.split(":", 1)[1]: _as_pulumi_string(v) for k, v in DEV["config"].items()
           if k.startswith("edgelogs:")}
    for _, _, _, key, value in sets:  # no --path: the whole list or map each time
        name = key.split(":", 1)[1]
        for placeholder, real in PLACEHOLDERS.items():
            value = value.replace(placeholder, real)
        decoded = json.loads(value)
        assert isinstance(decoded, list | dict), key
        # A top-level `config set` stores a string: Pulumi refuses it for a typed array.
        assert "type" not in PROJECT["config"][name], key
        raw[name] = value
    config = parse_config(raw, stack="prod", aws_region="us-east-1")
    assert config.edge_functions == ("viewer-request-auth", "origin-response-headers")
    assert config.admin_principals == ("arn:aws:iam::111122223333:role/log-readers",)
    assert dict(config.existing_log_groups) == {
        "us-east-1": ("/aws/lambda/us-east-1.viewer-request-auth",)}


def test_every_list_key_can_be_set_whole_in_one_line() -> None:
    list_keys = [k for k, d in PROJECT["config"].items()
                 if isinstance(d.get("default"), list | dict)]
    assert sorted(list_keys) == ["adminPrincipals", "dashboardUsers", "dashboards",
                                 "destinations", "distributionIds", "domain", "exclude",
                                 "existingLogGroups",
                                 "operatorPrincipals", "redact", "regions", "tags"]
    for key in list_keys:
        assert "type" not in PROJECT["config"][key], key
