"""scripts/search and scripts/demo as a user runs them: --help, and one line for a mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.http_stub import stub_server

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    # PATH without pulumi: nothing can come from a stack by accident.
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": "/usr/bin:/bin", **(env or {})})


@pytest.mark.parametrize("script", ["search", "demo"])
def test_help_works(script: str) -> None:
    result = _run(script, "--help")
    assert result.returncode == 0 and result.stderr == ""
    assert f"usage: {script}" in result.stdout


def test_help_needs_only_the_programs_own_requirements(tmp_path: Path) -> None:
    # Shadow the forwarder's third-party packages: --help must not import them.
    for name in ("opensearchpy", "requests_aws4auth", "requests"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('not installed')\n")
    for script in ("search", "demo"):
        result = _run(script, "--help", env={"PYTHONPATH": str(tmp_path)})
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script, args, says", [
    ("search", ["--since", "yesterday", "--endpoint", "http://127.0.0.1:9"],
     "search: --since 'yesterday' is not a time"),
    ("search", ["--level", "loud", "--endpoint", "http://127.0.0.1:9"],
     "search: --level 'loud' is not a level"),
    ("search", ["--bogus"], "search: unrecognized arguments: --bogus"),
    ("search", [], "search: --endpoint is required (the pulumi CLI is not installed"),
    ("search", ["--endpoint", "http://example.com"], "search: --endpoint must use https://"),
    ("demo", ["--stop", "--url"], "demo: argument --url: not allowed with argument --stop"),
    ("demo", ["--endpoint", "http://10.0.0.1:9200"], "demo: --endpoint must use https://"),
    ("demo", ["--endpoint", "http://127.0.0.1:9", "--at", "noon"], "demo: --at 'noon' is not"),
])
def test_a_mistake_is_one_line_and_exit_code_2(script: str, args: list[str], says: str) -> None:
    result = _run(script, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(says), result.stderr


def test_an_unreachable_endpoint_is_one_line(unused_port: int) -> None:
    result = _run("search", "--endpoint", f"http://127.0.0.1:{unused_port}")
    assert result.returncode == 2
    assert result.stderr == f"search: cannot reach http://127.0.0.1:{unused_port}: " \
                            "connection refused\n"


def test_no_credentials_is_one_line_and_sends_nothing(tmp_path: Path) -> None:
    # No key in the environment, no files, no instance metadata: botocore finds nothing.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
                "PATH": "/usr/bin:/bin"})
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "search"), "--endpoint",
         "https://search-edgelogs-abc.eu-west-1.es.amazonaws.com"],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("search: no AWS credentials found to sign the search")
    assert result.stderr.count("\n") == 1


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# What the domain answers a principal its access policy does not name.
_NOT_AUTHORIZED = {"Message": "User: arn:aws:iam::123456789012:user/dev is not authorized to "
                              "perform: es:ESHttpPost"}


def test_a_403_is_one_line_and_the_search_was_signed_for_the_domains_region(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from ops import search
    from ops.cli import run

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with stub_server(lambda _: (403, _NOT_AUTHORIZED)) as (url, seen):
        code = run("search", search.main, ["--endpoint", url, "--domain-region", "eu-central-1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"search: {url} refused the search (HTTP 403): your AWS identity must "
                          "be one of the stack's edgelogs:adminPrincipals")
    assert "signed for eu-central-1" in err
    auth = seen[-1].headers["authorization"]
    # SigV4 with the user's key, scoped to the domain's region and the es service.
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-central-1/es/aws4_request" in auth
