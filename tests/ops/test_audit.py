"""scripts/audit and the shared audit module against moto's EC2 and CloudWatch Logs, in
several regions: one outside the stack, a function outside it, a custom shared group."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import boto3
import pytest
from edge_coverage import audit

from ops import audit as audit_cmd
from ops import cli, stack
from tests.ops import estate
from tests.ops.estate import AUTH, LOG_GROUPS, SHARED

EDGE_ERRORS = "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"
UNCOVERED = {("eu-west-1", "/aws/lambda/us-east-1.new-fn"), ("ap-south-1", AUTH),
             ("ap-south-1", EDGE_ERRORS)}  # fmt: skip
LISTED = {("us-east-1", AUTH), ("eu-west-1", AUTH), ("eu-west-1", SHARED),
          ("ap-south-1", SHARED), ("sa-east-1", AUTH)} | UNCOVERED  # fmt: skip


@pytest.fixture(autouse=True)
def no_pulumi_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hermetic: a pulumi CLI on the developer's PATH is never run; tests that want one
    patch `which` again and answer through their own runner."""
    monkeypatch.setattr(stack.shutil, "which", lambda _: None)


def _done(stdout: str = "", code: int = 0, stderr: str = "") -> Any:
    return subprocess.CompletedProcess(args=[], returncode=code, stdout=stdout, stderr=stderr)


def config_json(values: dict[str, Any]) -> str:
    """What `pulumi config --json` prints: every value as text, objects also as objectValue."""
    out = {}
    for key, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value)
        out[key] = {"value": text, "secret": False,
                    **({} if isinstance(value, str) else {"objectValue": value})}
    return json.dumps(out)


# The stack behind LOG_GROUPS: auth and a custom group shared by a rewrite function.
DEPLOYED_CONFIG = {
    "aws:region": "us-east-1",
    "edgelogs:regions": ["us-east-1", "eu-west-1"],
    "edgelogs:edgeFunctions": ["auth", {"name": "rewrite", "logGroup": SHARED}],
}


def test_enabled_regions_are_the_accounts_not_the_stacks(aws: None) -> None:
    regions = audit.enabled_regions(audit.boto3_clients(), "us-east-1")
    assert {"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"} <= set(regions)
    assert len(regions) > len(estate.STACK_REGIONS) + 10
    # Only the caller's partition (moto lists every partition's regions).
    assert not [r for r in regions if r.startswith(("cn-", "us-gov-"))]


def test_audit_reports_every_edge_group_with_bytes_time_and_coverage(aws: None) -> None:
    last = estate.build()
    clients = audit.boto3_clients()
    regions = audit.enabled_regions(clients, "us-east-1")
    reports = audit.audit(clients, audit.Collected.from_mapping(LOG_GROUPS), regions)

    assert {(r.region, r.name) for r in reports} == LISTED
    assert [(r.region, r.name) for r in reports] == sorted(
        ((r.region, r.name) for r in reports), key=lambda k: (regions.index(k[0]), k[1]))
    for r in reports:
        expected_last = last.get((r.region, r.name))
        assert r.last_event_ms == expected_last, (r.region, r.name)
        assert (r.stored_bytes > 0) == (expected_last is not None), (r.region, r.name)
        assert r.subscribed == (r.region in LOG_GROUPS and r.name in LOG_GROUPS[r.region])
    assert {(r.region, r.name) for r in audit.uncovered(reports)} == UNCOVERED


def test_cli_json_output_and_exit_code_1(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    estate.build()
    code = cli.run("audit", audit_cmd.main, ["--log-groups-json", json.dumps(LOG_GROUPS),
                                             "--json"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["uncovered"] == 3
    assert {(g["region"], g["logGroup"]) for g in out["groups"] if g["uncovered"]} == UNCOVERED
    shared = next(g for g in out["groups"]
                  if (g["region"], g["logGroup"]) == ("eu-west-1", SHARED))
    assert shared["subscribed"] and shared["hasEvents"] and shared["storedBytes"] > 0
    assert "ap-south-1" in out["regions"]


def test_cli_reads_the_stack_output_and_prints_a_table(
        aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    estate.build()
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    seen: list[list[str]] = []

    answers = {
        "config --json": _done(config_json(DEPLOYED_CONFIG)),
        "stack --show-name": _done("prod\n"),
        "stack output logGroups --json": _done(json.dumps(LOG_GROUPS)),
    }

    def runner(cmd: list[str], **_: Any) -> Any:
        seen.append(cmd)
        return answers[" ".join(cmd[1:])]

    code = audit_cmd.main([], runner=runner)
    out = capsys.readouterr().out
    assert code == 1
    assert seen == [["pulumi", "config", "--json"], ["pulumi", "stack", "--show-name"],
                    ["pulumi", "stack", "output", "logGroups", "--json"]]
    # Deployed, and its configuration matches: nothing to adopt.
    assert "existingLogGroups" not in out
    rows = {tuple(line.split()[:2]): line for line in out.splitlines()[1:]
            if not line.startswith("audit:")}
    assert {k for k, line in rows.items() if "uncovered" in line} == UNCOVERED
    assert "audit: regions=" in out and "groups=8 uncovered=3" in out
    assert "not collect: ap-south-1 (add them to edgelogs:regions)" in out


def test_everything_collected_exits_0(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    estate.build()
    everything = {"eu-west-1": [AUTH, SHARED, "/aws/lambda/us-east-1.new-fn"]}
    code = audit_cmd.main(["--region", "eu-west-1", "--log-groups-json", json.dumps(everything)])
    assert code == 0
    assert "regions=1 groups=3 uncovered=0" in capsys.readouterr().out


def test_log_group_flag_looks_for_one_more_custom_group(
        aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    estate.build()
    code = audit_cmd.main(["--region", "eu-west-1", "--log-group", "/edge/shared-old", "--json",
                           "--log-groups-json", json.dumps(LOG_GROUPS)])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {g["logGroup"] for g in out["groups"] if g["uncovered"]} == {
        "/edge/shared-old", "/aws/lambda/us-east-1.new-fn"}


def test_log_groups_json_from_a_file(aws: None, tmp_path: Any,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "groups.json"
    path.write_text(json.dumps(LOG_GROUPS))
    assert audit_cmd.main(["--region", "us-east-1", "--log-groups-json", f"@{path}"]) == 0
    assert "regions=1 groups=0 uncovered=0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--log-groups-json", "{not json"], "edgelogs audit: --log-groups-json is not JSON"),
        (["--log-groups-json", '{"eu-west-1": "/x"}'],
         "edgelogs audit: --log-groups-json must map region -> list of log group names"),
        (["--log-groups-json", "@/nonexistent/groups.json"],
         "edgelogs audit: --log-groups-json: cannot"),
        (["--json", "--bogus"], "edgelogs audit: unrecognized arguments: --bogus"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run("edgelogs audit", audit_cmd.main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_without_pulumi_the_flag_is_named(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: None)
    assert cli.run("audit", audit_cmd.main, []) == 2
    err = capsys.readouterr().err
    assert "--log-groups-json is required" in err and err.count("\n") == 1


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run("audit", audit_cmd.main, ["--help"]) == 0
    assert "--log-groups-json" in capsys.readouterr().out


# --- before the first deploy ----------------------------------------------------------------

NEW_FN = "/aws/lambda/us-east-1.new-fn"
FIRST = {
    "aws:region": "us-east-1",
    "edgelogs:regions": ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"],
    "edgelogs:edgeFunctions": ["auth", "new-fn", {"name": "rewrite", "logGroup": SHARED}],
    "edgelogs:existingLogGroups": {"us-east-1": [AUTH]},
}


def not_deployed(config: dict[str, Any]) -> Any:
    answers = {
        "config --json": _done(config_json(config)),
        "stack --show-name": _done("prod\n"),
        "stack output logGroups --json": _done(
            "", 255, "error: current stack does not have any outputs"),
    }
    return lambda cmd, **_: answers[" ".join(cmd[1:])]


def test_first_deploy_prints_every_existing_group_to_adopt(
        aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    estate.build()
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    code = audit_cmd.main(["--region", "us-east-1", "--region", "eu-west-1"],
                          runner=not_deployed(FIRST))
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    # Every group that exists in a region of the stack and is not listed yet, empty ones too
    # (sa-east-1's auth, ap-south-1's shared group): creating any of them would fail. The map
    # keeps the entry already listed (us-east-1) and follows the stack's region order.
    start = next(i for i, line in enumerate(out) if "already exist" in line)
    assert out[start] == (
        "audit: 6 log group(s) already exist that this stack would create, so `pulumi up` "
        "would fail with ResourceAlreadyExistsException. Set the whole map (entries already "
        "listed included):")
    assert out[start + 1:] == [
        "pulumi config set edgelogs:existingLogGroups '"
        '{"us-east-1":["/aws/lambda/us-east-1.auth"],'
        '"eu-west-1":["/aws/lambda/us-east-1.auth","/aws/lambda/us-east-1.new-fn",'
        '"/edge/shared"],'
        '"ap-south-1":["/aws/lambda/us-east-1.auth","/edge/shared"],'
        '"sa-east-1":["/aws/lambda/us-east-1.auth"]}\'',
        "audit: or paste into Pulumi.prod.yaml, under config:",
        "  edgelogs:existingLogGroups:",
        "    us-east-1:",
        "      - /aws/lambda/us-east-1.auth",
        "    eu-west-1:",
        "      - /aws/lambda/us-east-1.auth",
        "      - /aws/lambda/us-east-1.new-fn",
        "      - /edge/shared",
        "    ap-south-1:",
        "      - /aws/lambda/us-east-1.auth",
        "      - /edge/shared",
        "    sa-east-1:",
        "      - /aws/lambda/us-east-1.auth",
    ]


def test_the_printed_entries_make_a_valid_configuration(
        aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from components.config import parse_config

    estate.build()
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    audit_cmd.main(["--region", "eu-west-1", "--json"], runner=not_deployed(FIRST))
    entries = json.loads(capsys.readouterr().out)["firstDeploy"]["existingLogGroups"]
    raw = {k.split(":", 1)[1]: json.dumps(v) for k, v in FIRST.items()
           if k.startswith("edgelogs:")}
    config = parse_config({**raw, "existingLogGroups": json.dumps(entries)}, stack="prod")
    assert dict(config.existing_log_groups) == {
        "us-east-1": (AUTH,), "eu-west-1": (AUTH, NEW_FN, SHARED),
        "ap-south-1": (AUTH, SHARED), "sa-east-1": (AUTH,)}


def test_a_group_with_two_subscription_filters_is_reported_before_the_deploy(
        aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    estate.build()
    # Two other owners already subscribe eu-west-1's auth group; a third is refused.
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="other", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="eu-west-1")
    logs = boto3.client("logs", region_name="eu-west-1")
    for name in ("siem-export", "metrics-extract"):
        arn = lam.create_function(FunctionName=name, Runtime="python3.13", Role=role,
                                  Handler="h.h", Code={"ZipFile": _zip()})["FunctionArn"]
        logs.put_subscription_filter(logGroupName=AUTH, filterName=name, filterPattern="",
                                     destinationArn=arn)
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    code = audit_cmd.main(["--region", "eu-west-1"], runner=not_deployed(
        {**FIRST, "edgelogs:existingLogGroups": {"eu-west-1": [AUTH, NEW_FN, SHARED],
                                                 "ap-south-1": [AUTH, SHARED],
                                                 "sa-east-1": [AUTH], "us-east-1": [AUTH]}}))
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[-1] == (
        "audit: eu-west-1 /aws/lambda/us-east-1.auth already has 2 subscription filters "
        "(metrics-extract, siem-export); CloudWatch Logs allows 2 per log group, so this "
        "stack's cannot be added: remove one before `pulumi up`")
    assert not [line for line in out if "existingLogGroups" in line]


def test_everything_listed_and_room_everywhere_exits_0(
        aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    estate.build()
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    config = {"aws:region": "us-east-1", "edgelogs:regions": ["us-east-1"],
              "edgelogs:edgeFunctions": ["auth"],
              "edgelogs:existingLogGroups": {"us-east-1": [AUTH]}}
    assert audit_cmd.main(["--region", "us-east-1"], runner=not_deployed(config)) == 0
    assert "existingLogGroups" not in capsys.readouterr().out


def test_an_invalid_stack_configuration_is_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = config_json({"edgelogs:edgeFunctions": ["auth"], "edgelogs:logRetentionDays": 31})
    assert cli.run("audit", audit_cmd.main, ["--config-json", bad, "--stack", "prod"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audit: the stack's configuration is invalid: "
                          "edgelogs:logRetentionDays: 31 is not a CloudWatch Logs retention")
    assert err.count("\n") == 1


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("h.py", "def h(event, context):\n    return None\n")
    return buf.getvalue()


def test_a_region_that_denies_access_is_reported_skipped(
        aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.ops.test_coverage_handler import denied_in

    estate.build()
    code = audit_cmd.main(["--region", "eu-west-1", "--region", "ap-south-1",
                           "--log-groups-json", json.dumps(LOG_GROUPS)],
                          clients=denied_in("ap-south-1"))
    out = capsys.readouterr().out.splitlines()
    assert code == 1  # eu-west-1's new-fn is still found
    assert "audit: regions=2 groups=3 uncovered=1" in out
    skipped = [line for line in out if "skipped" in line]
    assert len(skipped) == 1 and skipped[0].startswith(
        "audit: ap-south-1 skipped: AccessDeniedException: User: arn:aws:sts::")


def test_a_secret_config_value_is_left_out_not_misread() -> None:
    from ops import first_deploy

    text = json.dumps({
        "edgelogs:edgeFunctions": {"value": '["auth"]', "secret": False},
        "edgelogs:regions": {"value": '["eu-west-1"]', "secret": False},
        "edgelogs:alarmEmail": {"value": "[secret]", "secret": True},
    })
    plan = first_deploy.plan_from_config_json(text, "prod")
    assert (plan.regions, plan.groups, plan.filter_name) == (
        ("eu-west-1",), (AUTH,), "edgelogs-prod")
