"""`edgelogs` as a user runs it: --help everywhere, one line and one exit status per failure.

Exit statuses (ops.exit_codes.Exit): 0 done, 1 nothing found, 2 a usage mistake, 3 a runtime
failure, 130 interrupted. The expected numbers are written out here, not read from the enum.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_stub import stub_server

ROOT = Path(__file__).resolve().parents[2]
# The console script `pip install -e .` (requirements-dev.txt) puts beside the interpreter.
EDGELOGS = Path(sys.executable).parent / "edgelogs"
SUBCOMMANDS = ["search", "replay", "audit", "backfill", "demo", "bundle", "node"]


def _run(*args: str, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert EDGELOGS.is_file(), f"{EDGELOGS} missing: pip install -r requirements-dev.txt"
    # PATH without pulumi: nothing can come from a stack by accident. Run outside the
    # checkout: the installed command must not need it as the working directory.
    return subprocess.run([str(EDGELOGS), *args], capture_output=True, text=True,
                          timeout=timeout, cwd="/", stdin=subprocess.DEVNULL,
                          env={**os.environ, "PATH": "/usr/bin:/bin", "NO_COLOR": "1",
                               **(env or {})})


def test_the_command_lists_its_subcommands() -> None:
    result = _run("--help")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: edgelogs COMMAND")
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert listed == ["search", "replay", "audit", "backfill", "demo", "node", "bundle"]


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_help_works_for_every_subcommand(sub: str) -> None:
    result = _run(sub, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    first = result.stdout.splitlines()[0]
    assert first.startswith("usage: ") and sub in first, first


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_an_unknown_flag_is_one_line_and_status_2(sub: str) -> None:
    result = _run(sub, "--no-such-flag")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "unrecognized arguments: --no-such-flag" in result.stderr or \
        "the following arguments are required" in result.stderr, result.stderr


@pytest.mark.parametrize("args, says", [
    ([], "edgelogs: a command is required: use one of search, replay, audit, backfill, demo, "
         "node, bundle (see edgelogs --help)\n"),
    (["find"], "edgelogs: unknown command 'find': use one of search, replay, audit, backfill, "
               "demo, node, bundle (see edgelogs --help)\n"),
])
def test_no_or_an_unknown_command_is_one_line_and_status_2(args: list[str], says: str) -> None:
    result = _run(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", says)


def test_help_needs_only_the_programs_own_requirements(tmp_path: Path) -> None:
    # Shadow the forwarder's third-party packages: --help must not import them.
    for name in ("opensearchpy", "requests_aws4auth", "requests", "boto3"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('not installed')\n")
    for sub in ("search", "demo", "replay", "backfill", "audit", "node"):
        result = _run(sub, "--help", env={"PYTHONPATH": str(tmp_path)})
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("args, says", [
    (["search", "--since", "yesterday", "--endpoint", "http://127.0.0.1:9"],
     "edgelogs search: --since 'yesterday' is not a time"),
    (["search", "--level", "loud", "--endpoint", "http://127.0.0.1:9"],
     "edgelogs search: --level 'loud' is not a level"),
    (["search", "--since", "1h", "--until", "2h", "--endpoint", "http://127.0.0.1:9"],
     "edgelogs search: --since ("),
    (["search"], "edgelogs search: --endpoint is required (the pulumi CLI is not installed"),
    (["search", "--endpoint", "http://example.com"],
     "edgelogs search: --endpoint must use https://"),
    (["demo", "--stop", "--url"],
     "edgelogs demo: argument --url: not allowed with argument --stop"),
    (["demo", "--endpoint", "http://10.0.0.1:9200"],
     "edgelogs demo: --endpoint must use https://"),
    (["demo", "--endpoint", "http://127.0.0.1:9", "--at", "noon"],
     "edgelogs demo: --at 'noon' is not"),
    (["replay", "--region", "eu-west-1"],
     "edgelogs replay: --endpoint is required (the pulumi CLI is not installed"),
    (["audit", "--log-groups-json", "{"], "edgelogs audit: --log-groups-json is not JSON"),
    (["backfill", "--region", "eu-west-1", "--since", "soon"],
     "edgelogs backfill: --since 'soon' is not a time"),
    (["node", "start", "--setting", "nokey"], "edgelogs node: --setting takes key=value"),
])
def test_a_usage_mistake_is_one_line_and_status_2(args: list[str], says: str) -> None:
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(says), result.stderr


def test_an_unreachable_endpoint_is_one_line_and_status_3(unused_port: int) -> None:
    result = _run("search", "--endpoint", f"http://127.0.0.1:{unused_port}")
    assert result.returncode == 3
    assert result.stderr == f"edgelogs search: cannot reach http://127.0.0.1:{unused_port}: " \
                            "connection refused\n"


def test_no_credentials_is_one_line_status_3_and_sends_nothing(tmp_path: Path) -> None:
    # No key in the environment, no files, no instance metadata: botocore finds nothing.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
                "PATH": "/usr/bin:/bin"})
    result = subprocess.run(
        [str(EDGELOGS), "search", "--endpoint",
         "https://search-edgelogs-abc.eu-west-1.es.amazonaws.com"],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 3
    assert result.stderr.startswith(
        "edgelogs search: no AWS credentials found to sign the search")
    assert result.stderr.count("\n") == 1


def _empty(_: Any) -> tuple[int, Any]:
    return 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
                 "_shards": {"total": 1}}


def test_nothing_found_is_status_1() -> None:
    with stub_server(_empty) as (url, _):
        result = _run("search", "--endpoint", url, "--since", "2h")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("edgelogs search: no matching lines since ")


def test_ctrl_c_is_one_line_and_status_130() -> None:
    # --follow runs until interrupted: wait for its polls, then press Ctrl-C (SIGINT).
    with stub_server(_empty) as (url, seen):
        proc = subprocess.Popen(
            [str(EDGELOGS), "search", "--endpoint", url, "--follow", "--interval", "0.1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/",
            env={**os.environ, "PATH": "/usr/bin:/bin"})
        deadline = time.monotonic() + 60
        while len(seen) < 4 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert len(seen) >= 4, "the follower never polled"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert (out, err) == ("", "edgelogs search: interrupted\n")


def _old_pythons() -> list[str]:
    found = glob.glob("/root/.pyenv/versions/3.*/bin/python") + glob.glob("/usr/bin/python3.*")
    old = []
    for path in sorted(set(found)):
        check = subprocess.run([path, "-c", "import sys; print(sys.version_info < (3, 11))"],
                               capture_output=True, text=True)
        if check.stdout.strip() == "True":
            old.append(path)
    return old


def test_an_older_python_gets_one_line() -> None:
    # The check itself, on this interpreter told it is 3.10 ...
    fake = subprocess.run(
        [sys.executable, "-c", "import sys; sys.version_info = (3, 10, 13, 'final', 0); "
                               "import ops.cli"],
        capture_output=True, text=True, cwd=ROOT)
    assert fake.returncode == 2
    assert fake.stderr.startswith("edgelogs needs Python 3.11 or newer; this is Python ")
    assert fake.stderr.count("\n") == 1
    # ... and every real older interpreter on this machine (pyenv has 3.10 here), through
    # both ways in: the scripts and `python -m ops`.
    for python in _old_pythons():
        for argv in ([python, str(ROOT / "scripts" / "search"), "--help"],
                     [python, "-m", "ops", "search", "--help"]):
            result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
            assert result.returncode == 2, (argv, result.stderr)
            assert result.stderr.startswith(
                "edgelogs needs Python 3.11 or newer; this is Python 3."), result.stderr
            assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# What the domain answers a principal its access policy does not name.
_NOT_AUTHORIZED = {"Message": "User: arn:aws:iam::123456789012:user/dev is not authorized to "
                              "perform: es:ESHttpPost"}


def test_a_403_is_one_line_status_3_and_the_search_was_signed_for_the_domains_region(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from ops.cli import run
    from ops.search import command

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with stub_server(lambda _: (403, _NOT_AUTHORIZED)) as (url, seen):
        code = run("edgelogs search", command.main,
                   ["--endpoint", url, "--domain-region", "eu-central-1"])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1
    assert err.startswith(f"edgelogs search: {url} refused the search (HTTP 403): your AWS "
                          "identity must be one of the stack's edgelogs:adminPrincipals")
    assert "signed for eu-central-1" in err
    auth = seen[-1].headers["authorization"]
    # SigV4 with the user's key, scoped to the domain's region and the es service.
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-central-1/es/aws4_request" in auth
