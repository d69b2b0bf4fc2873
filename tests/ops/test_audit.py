"""scripts/audit and the shared audit module against moto's EC2 and CloudWatch Logs, in
several regions: one outside the stack, a function outside it, a custom shared group."""

from __future__ import annotations

import json
import subprocess
from typing import Any

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


def _done(stdout: str = "", code: int = 0, stderr: str = "") -> Any:
    return subprocess.CompletedProcess(args=[], returncode=code, stdout=stdout, stderr=stderr)


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

    def runner(cmd: list[str], **_: Any) -> Any:
        seen.append(cmd)
        return _done(json.dumps(LOG_GROUPS))

    code = audit_cmd.main([], runner=runner)
    out = capsys.readouterr().out
    assert code == 1
    assert seen == [["pulumi", "stack", "output", "logGroups", "--json"]]
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
