"""Runs the whole Pulumi program (__main__.py) under mocks and records what it registered.

Used by the deploy tests and by bench/deploy_bench.py. Each run gets a fresh event loop,
fresh mocks and a fresh root stack, so runs never see each other's resources; no network,
no credentials, no Pulumi CLI.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockMonitor

import bundler
from tests.deploy.tokens import (
    DOMAIN,
    EVENT_RULE,
    FUNCTION,
    GET_CALLER_IDENTITY,
    GET_PARTITION,
    IAM_POLICY,
    IDENTITY_POOL,
    LOG_GROUP,
    PROVIDER,
    QUEUE,
    ROLE,
    TOPIC,
    USER_POOL,
)

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "__main__.py"
ACCOUNT = "123456789012"
PARTITION = "aws"


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    provider_id: str | None
    region: str | None  # the region of the provider the resource was registered with
    read: bool  # True for `Resource.get` (referenced, not created)
    outputs: dict[str, Any] = field(default_factory=dict)
    parent_type: str | None = None  # the type of the resource's parent, from its URN


@dataclass
class Invoke:
    token: str
    provider_id: str | None
    region: str | None


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like AWS would, enough for the program: ARNs, URLs, endpoints, identity."""

    def __init__(self) -> None:
        self.resources: list[Registered] = []
        self.invokes: list[Invoke] = []
        self.provider_regions: dict[str, str] = {}

    @staticmethod
    def _provider_id(ref: str | None) -> str | None:
        return ref.rsplit("::", 1)[-1] if ref else None

    def _region(self, ref: str | None) -> str | None:
        pid = self._provider_id(ref)
        return self.provider_regions.get(pid) if pid else None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        read = args.custom is None  # ReadResource leaves `custom` unset
        region = self._region(args.provider)
        rid = args.resource_id or f"{args.name}-id"
        outputs = dict(args.inputs)
        name = outputs.get("name") or (args.resource_id if read else None) or args.name
        if args.typ == PROVIDER:
            self.provider_regions[rid] = outputs["region"]
            region = outputs["region"]
        elif args.typ == FUNCTION:
            outputs["arn"] = f"arn:{PARTITION}:lambda:{region}:{ACCOUNT}:function:{name}"
        elif args.typ == QUEUE:
            outputs["arn"] = f"arn:{PARTITION}:sqs:{region}:{ACCOUNT}:{name}"
            outputs["url"] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        elif args.typ == TOPIC:
            outputs["arn"] = f"arn:{PARTITION}:sns:{region}:{ACCOUNT}:{name}"
        elif args.typ == LOG_GROUP:
            outputs["name"] = name
            outputs["arn"] = f"arn:{PARTITION}:logs:{region}:{ACCOUNT}:log-group:{name}"
        elif args.typ == EVENT_RULE:
            outputs["arn"] = f"arn:{PARTITION}:events:{region}:{ACCOUNT}:rule/{name}"
        elif args.typ == IAM_POLICY:
            outputs["arn"] = f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}"
        elif args.typ == ROLE:
            outputs["arn"] = f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"
        elif args.typ == USER_POOL:
            # ids shaped like AWS's: <region>_<alphanumerics> and <region>:<uuid>
            rid = f"{region}_{_digest(args.name)[:9]}"
            outputs["arn"] = f"arn:{PARTITION}:cognito-idp:{region}:{ACCOUNT}:userpool/{rid}"
        elif args.typ == IDENTITY_POOL:
            rid = f"{region}:{uuid.UUID(_digest(args.name)[:32])}"
        elif args.typ == DOMAIN:
            domain = outputs["domainName"]
            outputs["arn"] = f"arn:{PARTITION}:es:{region}:{ACCOUNT}:domain/{domain}"
            outputs["endpoint"] = f"search-{domain}-mock.{region}.es.amazonaws.com"
        self.resources.append(
            Registered(
                typ=args.typ,
                name=args.name,
                inputs=dict(args.inputs),
                provider_id=self._provider_id(args.provider),
                region=region,
                read=read,
                outputs=outputs,
            )
        )
        return rid, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        self.invokes.append(
            Invoke(args.token, self._provider_id(args.provider), self._region(args.provider))
        )
        if args.token == GET_CALLER_IDENTITY:
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:{PARTITION}:iam::{ACCOUNT}:user/deployer",
                "id": ACCOUNT,
                "userId": "AIDAEXAMPLE",
            }, []
        if args.token == GET_PARTITION:
            return {
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "id": PARTITION,
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        raise AssertionError(f"unexpected invoke {args.token}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RecordingMonitor(MockMonitor):
    """The mock monitor, also keeping each registration's dependencies (URNs) and `protect`."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.dependencies: dict[tuple[str, str], list[str]] = {}
        self.ignore_changes: dict[tuple[str, str], list[str]] = {}
        self.protect: dict[tuple[str, str], bool] = {}

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method it overrides
        self.dependencies[(request.type, request.name)] = list(request.dependencies)
        self.ignore_changes[(request.type, request.name)] = list(request.ignoreChanges)
        self.protect[(request.type, request.name)] = bool(request.protect)
        return super().RegisterResource(request)


@dataclass
class ProgramRun:
    mocks: RecordingMocks
    outputs: dict[str, Any]
    dependencies: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    ignore_changes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    protect: dict[tuple[str, str], bool] = field(default_factory=dict)

    def depends_on(self, typ: str, name: str) -> set[tuple[str, str]]:
        """(type, name) of everything the resource was registered as depending on."""
        out = set()
        for urn in self.dependencies.get((typ, name), []):
            _, _, qualified, dep_name = urn.split("::", 3)
            out.add((qualified.split("$")[-1], dep_name))
        return out

    @property
    def resources(self) -> list[Registered]:
        return self.mocks.resources

    def of_type(self, typ: str, parent: str | None = None) -> list[Registered]:
        """Resources of a type; with `parent`, only the children of components of that type
        (the forwarders' functions, say, not the coverage check's)."""
        return [r for r in self.resources
                if r.typ == typ and (parent is None or r.parent_type == parent)]

    def counts(self) -> Counter[str]:
        return Counter(r.typ for r in self.resources if not r.read)

    def one(self, typ: str, name: str) -> Registered:
        found = [r for r in self.resources if r.typ == typ and r.name == name]
        assert len(found) == 1, (typ, name, len(found))
        return found[0]


def fake_bundle(directory: Path) -> bundler.Bundle:
    """A tiny, valid zip standing in for the real forwarder bundle."""
    import hashlib

    path = directory / "forwarder.zip"
    if not path.exists():
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(
                zipfile.ZipInfo("forwarder/handler.py", (1980, 1, 1, 0, 0, 0)),
                "def lambda_handler(event, context):\n    return None\n",
            )
    data = path.read_bytes()
    return bundler.Bundle(path, hashlib.sha256(data).hexdigest(), len(data))


def _builder(fake: bundler.Bundle) -> Callable[[str], bundler.Bundle]:
    """bundler.build for a run: `fake` for a function with pinned dependencies (a real build
    needs pip and wheels), the real, small zip for one of sources only."""
    real = bundler.build

    def build(package: str) -> bundler.Bundle:
        return fake if bundler.FUNCTIONS[package].requirements else real(package)

    return build


def config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as Pulumi passes it: strings as-is, everything else as JSON text."""
    out = {}
    for key, value in config.items():
        full = key if ":" in key else f"edgelogs:{key}"
        out[full] = value if isinstance(value, str) else json.dumps(value)
    return out


def run_program(
    config: Mapping[str, Any],
    *,
    bundle: bundler.Bundle,
    stack: str = "dev",
    mocks: RecordingMocks | None = None,
) -> ProgramRun:
    """Runs __main__.py once under fresh mocks and returns what it registered and exported.

    Pass `mocks` (a new RecordingMocks) to inspect what was registered when the run raises.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = mocks if mocks is not None else RecordingMocks()
    monitor = RecordingMonitor(mocks)
    outputs: dict[str, Any] = {}
    try:
        settings.ROOT.set(None)  # a fresh root stack for this run
        pulumi.runtime.set_mocks(
            mocks, project="edgelogs", stack=stack, preview=False, monitor=monitor
        )
        set_all_config(config_strings(config))

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any]:
            runpy.run_path(str(MAIN), run_name="__main__")
            root = settings.get_root_resource()
            assert root is not None
            return pulumi.Output.from_input(root.outputs).apply(outputs.update)  # type: ignore[attr-defined]

        with mock.patch.object(bundler, "build", _builder(bundle)):
            program()
    finally:
        set_all_config({})
        settings.ROOT.set(None)
        asyncio.set_event_loop(None)
        loop.close()
    _attach_parents(mocks.resources, monitor.get_registered_resources())
    return ProgramRun(mocks, outputs, monitor.dependencies, monitor.ignore_changes,
                      monitor.protect)


def _attach_parents(resources: list[Registered], by_urn: Mapping[str, Any]) -> None:
    """The mock URN is stack::project::<parent type>$<type>::<name>; keep the parent type."""
    parents: dict[tuple[str, str], str | None] = {}
    for urn in by_urn:
        _, _, qualified, name = urn.split("::", 3)
        *chain, typ = qualified.split("$")
        parents[(typ, name)] = chain[-1] if chain else None
    for r in resources:
        r.parent_type = parents.get((r.typ, r.name))
