"""The domain setup function's zip and its role's permissions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import bundler
from components.domain_setup import permissions_policy

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"


def test_the_zip_holds_the_package_and_the_contract_and_is_reproducible(tmp_path: Path) -> None:
    first = bundler.build("domain_setup", cache_dir=tmp_path / "a")
    second = bundler.build("domain_setup", cache_dir=tmp_path / "b")
    assert first.sha256 == second.sha256
    with zipfile.ZipFile(first.path) as zf:
        assert zf.namelist() == [
            "contract.py", "domain_setup/__init__.py", "domain_setup/handler.py",
            "domain_setup/http.py",
            "domain_setup/lifecycle.py", "domain_setup/roles.py", "domain_setup/setup.py",
            "domain_setup/template.py"]


def test_a_changed_role_changes_the_code_hash_that_re_runs_the_setup(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(LAMBDA_SRC / "domain_setup", src / "domain_setup")
    shutil.copy2(LAMBDA_SRC / "contract.py", src / "contract.py")
    before = bundler.build("domain_setup", src, tmp_path / "cache").sha256
    roles = src / "domain_setup" / "roles.py"
    roles.write_text(roles.read_text().replace('READ = ("read",)', 'READ = ("read", "x")'))
    assert bundler.build("domain_setup", src, tmp_path / "cache").sha256 != before


def test_the_zip_imports_alone(tmp_path: Path) -> None:
    """Standard library and botocore only (the Lambda runtime's): nothing else is bundled."""
    bundle = bundler.build("domain_setup", cache_dir=tmp_path)
    with zipfile.ZipFile(bundle.path) as zf:
        zf.extractall(tmp_path / "unpacked")
    result = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import domain_setup.handler, domain_setup.setup; print('ok')",
         str(tmp_path / "unpacked")], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_the_master_role_may_call_this_domain_and_write_its_logs_only() -> None:
    policy = permissions_policy(partition="aws", account_id="123456789012",
                                home_region="eu-central-1", domain_name="edgelogs-dev",
                                log_group_name="/aws/lambda/edgelogs-dev-domain-setup")
    assert policy["Statement"] == [
        {"Sid": "MasterUserOfTheDomain", "Effect": "Allow",
         "Action": ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch",
                    "es:ESHttpPost", "es:ESHttpPut"],
         "Resource": ["arn:aws:es:eu-central-1:123456789012:domain/edgelogs-dev/*"]},
        {"Sid": "WriteOwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": ["arn:aws:logs:eu-central-1:123456789012:log-group:"
                      "/aws/lambda/edgelogs-dev-domain-setup:*"]},
    ]
