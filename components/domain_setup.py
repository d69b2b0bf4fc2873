"""DomainSetup: the function that applies the domain's security roles, role mappings, index
templates and ISM policy, and whose role is the domain's master user.

Its role is created before the domain (the domain names it as the IAM master user,
components/search_domain.py); the domain invokes it once it exists and again whenever what it
applies changes (``invocation_input``), so `pulumi up` needs no network path from the
deployer's machine to the domain and no manual step.

The zip holds lambda_src/domain_setup/*.py and lambda_src/contract.py: standard library and the
runtime's botocore only. Built here from the files (components never import lambda_src),
byte-for-byte reproducible; its sha256 is part of the invocation input, so new roles or
templates (a new zip) re-run the setup.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components.bundle import CACHE_DIR, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, LAMBDA_SRC
from components.bundle_cache import Bundle
from components.forwarder_role import assume_role_policy
from components.identity import caller_identity
from lambda_src import contract

TOKEN = "edgelogs:index:DomainSetup"
PACKAGE = "domain_setup"
HANDLER = f"{PACKAGE}.handler.lambda_handler"
# A handful of small requests (one GET, maybe one PUT per item); the domain may still be
# finishing a blue/green change when it is invoked, hence more than a few seconds.
TIMEOUT_SECONDS = 300
MEMORY_MB = 128
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def build_zip(src_dir: Path = LAMBDA_SRC, cache_dir: Path = CACHE_DIR) -> Bundle:
    """domain_setup/*.py and contract.py, sorted, fixed times and modes."""
    files = sorted(p for p in (src_dir / PACKAGE).glob("*.py") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no {PACKAGE}/*.py under {src_dir}")
    entries = [(f"{PACKAGE}/{p.name}", p) for p in files]
    entries.append(("contract.py", src_dir / "contract.py"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in entries:
            info = zipfile.ZipInfo(arcname, _ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = cache_dir / f"domain-setup-{sha[:24]}.zip"
    if not out.is_file():
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(out)  # atomic: a concurrent build never sees half a zip
    return Bundle(out, sha, len(data))


def permissions_policy(*, partition: str, account_id: str, home_region: str,
                       domain_name: str, log_group_name: str) -> dict[str, Any]:
    """Every HTTP method on this one domain (it is the master user: the security plugin lets
    it change security, templates and ISM), and its own log group."""
    domain_arn = naming.domain_arn(partition, home_region, account_id, domain_name)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "MasterUserOfTheDomain", "Effect": "Allow",
             "Action": [f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Patch", "Post",
                                                  "Put")],
             "Resource": [f"{domain_arn}/*"]},
            {"Sid": "WriteOwnLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [f"arn:{partition}:logs:{home_region}:{account_id}:log-group:"
                          f"{log_group_name}:*"]},
        ],
    }  # fmt: skip


def invocation_input(*, endpoint: str, region: str, index_prefix: str, retention_days: int,
                     principals: Mapping[str, Sequence[str]], code_hash: str) -> str:
    """The JSON the function gets (lambda_src/domain_setup/handler.parse); any change in it
    (a principal, the retention, the code) replaces the Invocation, which invokes again."""
    return json.dumps({
        contract.SETUP_ENDPOINT: endpoint,
        contract.SETUP_REGION: region,
        contract.SETUP_INDEX_PREFIX: index_prefix,
        contract.SETUP_RETENTION_DAYS: retention_days,
        contract.SETUP_PRINCIPALS: {k: sorted(set(principals.get(k, ())))
                                    for k in contract.ROLE_KEYS},
        contract.SETUP_CODE_HASH: code_hash,
    }, sort_keys=True)


@dataclass
class DomainSetupArgs:
    names: naming.StackNames
    home_region: str
    log_retention_days: pulumi.Input[int]
    provider: aws.Provider
    tags: pulumi.Input[dict[str, str]]
    code: Bundle | None = None  # built from lambda_src when None


class DomainSetup(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    function: aws.lambda_.Function
    role_arn: pulumi.Output[str]
    """The master user's ARN, resolved once its policy is attached."""
    code_hash: str

    def __init__(self, name: str, args: DomainSetupArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        names = args.names
        identity = caller_identity(self, args.provider)
        code = args.code or build_zip()
        self.code_hash = code.sha256

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=names.domain_setup_log_group,
            retention_in_days=args.log_retention_days, tags=args.tags, opts=child,
        )  # fmt: skip
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.domain_setup_function,
            description="edgelogs domain setup: the search domain's master user",
            assume_role_policy=assume_role_policy(),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="edgelogs-domain-setup",
            role=self.role.id,
            policy=pulumi.Output.all(identity.partition, identity.account_id).apply(
                lambda v: json.dumps(permissions_policy(
                    partition=v[0], account_id=v[1], home_region=args.home_region,
                    domain_name=names.domain, log_group_name=names.domain_setup_log_group,
                ))
            ),
            opts=child,
        )  # fmt: skip
        self.role_arn = pulumi.Output.all(self.role.arn, self.policy.id).apply(lambda v: v[0])
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=names.domain_setup_function,
            description="edgelogs: applies the domain's roles, templates and ISM policy",
            role=self.role_arn,
            handler=HANDLER,
            runtime=LAMBDA_RUNTIME,
            architectures=[LAMBDA_ARCHITECTURE],
            code=pulumi.FileArchive(str(code.path)),
            source_code_hash=code.source_code_hash,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[self.log_group]),
        )
        self.register_outputs({"roleArn": self.role_arn, "functionName": self.function.name})
