"""Readers read, writers write: the roles proven by OpenSearch's own security plugin.

A node of OpenSearch 2.19.4 with ``opensearch-security`` 2.19.4.0 (tests/support/secure_node.py)
behind the front door, which verifies SigV4, evaluates the program's domain access policy and
passes the caller on to the plugin as the service does (user = IAM ARN, backend role = IAM role
ARN). The front door here applies AWS's real same-account rule (either policy admits), so a
request the access policy admits reaches the plugin, and the plugin's answer decides: the
refusals below are the plugin's own (``security_exception`` naming the action), not IAM's.

Everything on the node comes from the domain setup (lambda_src/domain_setup), run as the master
user with the input the program gives it. Expected role names, actions and answers are written
out here, never taken from the code under test.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from domain_setup.http import caller
from domain_setup.setup import Desired, apply
from forwarder.handler import process

from tests.forwarder.payloads import encode
from tests.integration.conftest import EDGE_FUNCTIONS, HOME_REGION, stack_config
from tests.integration.forwarder_support import deployed_settings, signed_client
from tests.support import secure_node
from tests.support.cwl import BatchFactory
from tests.support.front_door import (
    Deployment,
    FrontDoor,
    caller_table,
    deployment_from_program,
    send,
)

DAY = "2025.11.24"  # the day of every BatchFactory event
ACCOUNT = "123456789012"
FORWARDER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-forwarder"
SETUP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-domain-setup"
DASHBOARDS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-dev-dashboards"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-admin"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/edgelogs-operator"


@pytest.fixture(scope="module")
def secure_url() -> Iterator[str]:
    name = "pytest-secure"
    url = secure_node.start(name)
    try:
        yield url
    finally:
        secure_node.stop(name)


def _config(prefix: str) -> dict[str, object]:
    return {**stack_config(prefix), "operatorPrincipals": [OPERATOR]}


@dataclasses.dataclass
class Secured:
    door: FrontDoor
    dep: Deployment
    prefix: str
    report: dict[str, str]

    def as_(self, who: str, method: str, path: str, body: Any = None,
            ndjson: bool = False) -> tuple[int, Any]:
        return send(self.door.url, method, path, body, identity=self.door.identity(who),
                    region=HOME_REGION, ndjson=ndjson)


def _door(url: str, dep: Deployment) -> FrontDoor:
    door = FrontDoor(url, dep.region, dep.account, dep.domain_name, dep.access_policy,
                     [dataclasses.replace(i, both_policies=False) for i in caller_table(dep)],
                     proxy_auth=True)
    return door.start()


def _setup(door: FrontDoor, dep: Deployment) -> dict[str, str]:
    """The domain setup, run as the master user (its role's session) through the front door,
    with exactly the input the program invokes it with."""
    inp = dep.setup_input or {}
    call = caller(door.url, HOME_REGION, door.identity("setup").credentials())
    return apply(call, Desired(inp["indexPrefix"], inp["indexRetentionDays"],
                               inp["principals"]))


@pytest.fixture(scope="module")
def secured(secure_url: str) -> Iterator[Secured]:
    prefix = f"ac-{uuid.uuid4().hex[:8]}"
    dep = deployment_from_program(_config(prefix))
    door = _door(secure_url, dep)
    try:
        report = _setup(door, dep)
        # One batch stored by the eu-west-1 forwarder, as deployed (writer role).
        s = deployed_settings(door, dep, "eu-west-1")
        batch = BatchFactory().batch("eu-west-1", EDGE_FUNCTIONS[0], 20)
        summary = process(encode(batch), s, signed_client(door, s), time.monotonic() + 60)
        assert (summary.stored, summary.outcome) == (20, "ok"), summary
        # Dashboards' own index, as the Dashboards server makes it (its saved-object types
        # mapped up front, so saving one never changes the mapping), and one saved object.
        title = {"properties": {"title": {"type": "text"}}}
        status, _ = send(door.url, "PUT", ".kibana_1", {"mappings": {
            "dynamic": "false", "properties": {"type": {"type": "keyword"},
                                               "index-pattern": title, "visualization": title}}},
            identity=door.identity("setup"), region=HOME_REGION)
        assert status == 200
        status, _ = send(door.url, "PUT", ".kibana_1/_doc/index-pattern:logs",
                         {"type": "index-pattern", "index-pattern": {"title": f"{prefix}-*"}},
                         identity=door.identity("setup"), region=HOME_REGION)
        assert status == 201
        send(door.url, "POST", f"{prefix}-*,.kibana_1/_refresh", identity=door.identity("setup"),
             region=HOME_REGION)
        yield Secured(door, dep, prefix, report)
    finally:
        door.stop()


def _denied(answer: tuple[int, Any], action: str) -> None:
    """The plugin's own refusal: 403, a security_exception that names the action."""
    status, body = answer
    assert status == 403, answer
    assert body["error"]["type"] == "security_exception", answer
    assert f"no permissions for [{action}]" in body["error"]["reason"], answer


def _item_denied(answer: tuple[int, Any], action: str) -> None:
    """_bulk answers 200; each refused item carries its own 403 security_exception."""
    status, body = answer
    assert status == 200 and body["errors"] is True, answer
    for item in body["items"]:
        result = next(iter(item.values()))
        assert result["status"] == 403, answer
        assert result["error"]["type"] == "security_exception", answer
        assert f"no permissions for [{action}]" in result["error"]["reason"], answer


def _count(s: Secured, pattern: str) -> int:
    send(s.door.url, "POST", f"{pattern}/_refresh?ignore_unavailable=true",
         identity=s.door.identity("setup"), region=HOME_REGION)
    status, body = s.as_("setup", "GET", f"{pattern}/_count?ignore_unavailable=true"
                         "&allow_no_indices=true")
    assert status == 200, body
    return body["count"]


# ---- the program's side of it ----------------------------------------------------------


def test_the_program_deploys_fine_grained_access_control_with_an_iam_master() -> None:
    dep = deployment_from_program(_config("lambda-edge"))
    assert dep.advanced_security == {
        "enabled": True, "internalUserDatabaseEnabled": False, "anonymousAuthEnabled": False,
        "masterUserOptions": {"masterUserArn": SETUP_ROLE},
    }
    assert dep.setup_role_arn == SETUP_ROLE
    assert dep.advanced_options == {}  # rest.action.multi.allow_explicit_index: its default
    (statement,) = dep.access_policy["Statement"]
    assert statement["Principal"] == {"AWS": sorted(
        [ADMIN, DASHBOARDS_ROLE, SETUP_ROLE, FORWARDER_ROLE, OPERATOR])}
    assert statement["Action"] == ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead",
                                   "es:ESHttpPatch", "es:ESHttpPost", "es:ESHttpPut"]
    assert dep.setup_input is not None
    assert dep.setup_input["principals"] == {
        "writer": [FORWARDER_ROLE], "operator": [OPERATOR],
        "reader": sorted([ADMIN, DASHBOARDS_ROLE])}


# ---- the setup -------------------------------------------------------------------------


def test_setup_installs_everything_on_an_empty_node_and_a_second_run_changes_nothing(
        secure_url: str) -> None:
    prefix = f"st-{uuid.uuid4().hex[:8]}"
    dep = deployment_from_program(_config(prefix))
    door = _door(secure_url, dep)
    try:
        master = door.identity("setup")
        for path in (f"_plugins/_security/api/roles/{prefix}-writer",
                     f"_plugins/_security/api/rolesmapping/{prefix}-reader",
                     f"_index_template/{prefix}"):
            assert send(door.url, "GET", path, identity=master, region=HOME_REGION)[0] == 404
        first = _setup(door, dep)
        assert first == {
            f"role {prefix}-writer": "created",
            f"role {prefix}-operator": "created",
            f"role {prefix}-reader": "created",
            f"rolesmapping {prefix}-writer": "created",
            f"rolesmapping {prefix}-operator": "created",
            f"rolesmapping {prefix}-reader": "created",
            f"index_template {prefix}": "created",
            f"index_template {prefix}-errors": "created",
            # This node has no ISM plugin (its zip is not served here): the setup says so.
            f"ism_policy {prefix}-retention": "unavailable",
        }
        second = _setup(door, dep)
        assert second == {k: ("unavailable" if k.startswith("ism_policy") else "unchanged")
                          for k in first}

        status, roles = send(door.url, "GET", f"_plugins/_security/api/roles/{prefix}-writer",
                             identity=master, region=HOME_REGION)
        writer = roles[f"{prefix}-writer"]
        assert status == 200 and writer["cluster_permissions"] == ["indices:data/write/bulk"]
        assert [(p["index_patterns"], p["allowed_actions"])
                for p in writer["index_permissions"]] == [
            ([f"{prefix}-*"], ["indices:data/write/index", "indices:data/write/bulk[s]",
                               "indices:admin/create"])]
        status, maps = send(door.url, "GET", "_plugins/_security/api/rolesmapping",
                            identity=master, region=HOME_REGION)
        assert {k: (v["backend_roles"], v["users"]) for k, v in maps.items()
                if k.startswith(prefix)} == {
            f"{prefix}-writer": ([FORWARDER_ROLE], []),
            f"{prefix}-operator": ([OPERATOR], []),
            f"{prefix}-reader": (sorted([ADMIN, DASHBOARDS_ROLE]), []),
        }
        # A changed mapping (an admin removed) is put right by the next run, and only it.
        send(door.url, "PUT", f"_plugins/_security/api/rolesmapping/{prefix}-reader",
             {"backend_roles": [ADMIN]}, identity=master, region=HOME_REGION)
        third = _setup(door, dep)
        assert {k: v for k, v in third.items() if v not in ("unchanged", "unavailable")} == {
            f"rolesmapping {prefix}-reader": "updated"}
    finally:
        door.stop()


def _lambda_env(monkeypatch: pytest.MonkeyPatch, door: FrontDoor, who: str) -> None:
    """The function's environment as Lambda gives it: its role's session keys."""
    ident = door.identity(who)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ident.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ident.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", ident.token or "")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_the_function_run_with_the_programs_input_as_its_role(
        secured: Secured, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """lambda_handler with exactly the Invocation's input (endpoint pointed at the front
    door), signing with the setup role's session: everything already there, one log line."""
    from domain_setup.handler import lambda_handler

    _lambda_env(monkeypatch, secured.door, "setup")
    event = {**(secured.dep.setup_input or {}), "endpoint": secured.door.url}
    capsys.readouterr()
    result = lambda_handler(event, type("Context", (), {"aws_request_id": "req-1"})())
    p = secured.prefix
    assert result["outcome"] == "ok"
    assert result["done"] == {
        f"role {p}-writer": "unchanged", f"role {p}-operator": "unchanged",
        f"role {p}-reader": "unchanged", f"rolesmapping {p}-writer": "unchanged",
        f"rolesmapping {p}-operator": "unchanged", f"rolesmapping {p}-reader": "unchanged",
        f"index_template {p}": "unchanged", f"index_template {p}-errors": "unchanged",
        f"ism_policy {p}-retention": "unavailable"}
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (line["msg"], line["outcome"], line["aws_request_id"]) == (
        "edgelogs domain setup", "ok", "req-1")


def test_the_function_as_another_role_fails_with_the_engines_reason(
        secured: Secured, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from domain_setup.handler import lambda_handler
    from domain_setup.http import SetupError

    _lambda_env(monkeypatch, secured.door, "admin")  # a reader, not the master
    event = {**(secured.dep.setup_input or {}), "endpoint": secured.door.url}
    capsys.readouterr()
    with pytest.raises(SetupError):
        lambda_handler(event, None)
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["outcome"] == "failed"
    assert line["reason"].startswith(
        f"GET /_plugins/_security/api/roles/{secured.prefix}-writer answered 403: ")


def test_setup_as_a_non_master_fails_with_the_engines_reason(secured: Secured) -> None:
    from domain_setup.http import SetupError

    call = caller(secured.door.url, HOME_REGION, secured.door.identity("admin").credentials())
    with pytest.raises(SetupError) as err:
        apply(call, Desired(secured.prefix, 14, {}))
    assert str(err.value).startswith(
        f"GET /_plugins/_security/api/roles/{secured.prefix}-writer answered 403: ")


# ---- writer ------------------------------------------------------------------------------


def test_writer_writes_its_documents_and_nothing_else(secured: Secured) -> None:
    p, fwd = secured.prefix, "forwarder-eu-west-1"
    index = f"{p}-{DAY}"
    status, body = secured.as_(fwd, "POST", f"{index}/_bulk",
                               [{"create": {"_id": "w-1"}}, {"message": "m"}], ndjson=True)
    assert status == 200 and body["errors"] is False, body
    # Outside its indices: by URL, and by an index named in the body (allowed again).
    _denied(secured.as_(fwd, "PUT", "other-logs/_doc/x", {"m": 1}), "indices:data/write/index")
    _item_denied(secured.as_(fwd, "POST", f"{index}/_bulk",
                             [{"create": {"_index": "other-logs", "_id": "x"}}, {"m": 1}],
                             ndjson=True), "indices:admin/create")
    # No delete, no update, no reading, no templates, no cluster settings.
    _item_denied(secured.as_(fwd, "POST", f"{index}/_bulk", [{"delete": {"_id": "w-1"}}],
                             ndjson=True), "indices:data/write/delete")
    _denied(secured.as_(fwd, "DELETE", index), "indices:admin/delete")
    _denied(secured.as_(fwd, "POST", f"{index}/_update/w-1", {"doc": {"m": 2}}),
            "indices:data/write/update")
    _denied(secured.as_(fwd, "GET", f"{p}-*/_search"), "indices:data/read/search")
    _denied(secured.as_(fwd, "PUT", f"_index_template/{p}",
                        {"index_patterns": ["*"],
                         "template": {"settings": {"index.blocks.write": True}}}),
            "indices:admin/index_template/put")
    _denied(secured.as_(fwd, "PUT", "_cluster/settings",
                        {"persistent": {"action.destructive_requires_name": False}}),
            "cluster:admin/settings/update")
    assert _count(secured, "other-logs") == 0


def test_operator_writes_like_the_writer(secured: Secured) -> None:
    p = secured.prefix
    status, body = secured.as_("operator", "POST", f"{p}-errors-{DAY}/_bulk",
                               [{"create": {"_id": "o-1"}}, {"error.type": "t"}], ndjson=True)
    assert status == 200 and body["errors"] is False, body
    _denied(secured.as_("operator", "DELETE", f"{p}-errors-{DAY}"), "indices:admin/delete")
    _denied(secured.as_("operator", "GET", f"{p}-*/_search"), "indices:data/read/search")


# ---- reader ------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["admin", "dashboards-user"])
def test_reader_searches_and_reads_dashboards_own_index(secured: Secured, reader: str) -> None:
    p = secured.prefix
    status, body = secured.as_(reader, "POST", f"{p}-*/_search",
                               {"query": {"match_all": {}}, "size": 1})
    assert status == 200 and body["hits"]["total"]["value"] >= 20, body
    status, body = secured.as_(reader, "GET", f"{p}-*/_count")
    assert status == 200 and body["count"] >= 20
    # Dashboards' saved-object multi-get names the index in the body: works again.
    status, body = secured.as_(reader, "POST", "_mget",
                               {"docs": [{"_index": ".kibana_1", "_id": "index-pattern:logs"}]})
    assert status == 200 and body["docs"][0]["found"] is True, body
    status, body = secured.as_(reader, "POST", ".kibana_1/_search",
                               {"query": {"ids": {"values": ["index-pattern:logs"]}}})
    assert status == 200 and body["hits"]["total"]["value"] == 1, body


@pytest.mark.parametrize("reader", ["admin", "dashboards-user"])
def test_reader_keeps_saved_objects_in_dashboards_own_index(secured: Secured,
                                                            reader: str) -> None:
    """Saving a visualization writes a document of Dashboards' own index (one at a time, or a
    _bulk of them): the only writes a reader can make."""
    doc = f"visualization:{reader}"
    status, body = secured.as_(reader, "PUT", f".kibana_1/_doc/{doc}",
                               {"type": "visualization", "visualization": {"title": "errors"}})
    assert (status, body.get("result")) == (201, "created"), body
    status, body = secured.as_(reader, "POST", ".kibana_1/_bulk",
                               [{"index": {"_id": f"{doc}-2"}}, {"type": "visualization"}],
                               ndjson=True)
    assert status == 200 and body["errors"] is False, body


@pytest.mark.parametrize("reader", ["admin", "dashboards-user"])
def test_reader_cannot_write_delete_or_change_anything(secured: Secured, reader: str) -> None:
    p = secured.prefix
    index = f"{p}-{DAY}"
    before = _count(secured, f"{p}-*")
    # POST <index>/_doc/_search is an index request: IAM's "*/_search" used to admit it.
    _denied(secured.as_(reader, "POST", f"{index}/_doc/_search", {"m": 1}),
            "indices:data/write/index")
    _denied(secured.as_(reader, "POST", f"{p}-new/_doc/_search", {"m": 1}),
            "indices:data/write/index")
    _denied(secured.as_(reader, "PUT", f"{index}/_doc/x", {"m": 1}), "indices:data/write/index")
    _item_denied(secured.as_(reader, "POST", f"{index}/_bulk",
                             [{"create": {"_id": "x"}}, {"m": 1}], ndjson=True),
                 "indices:data/write/bulk[s], indices:data/write/index")
    _denied(secured.as_(reader, "DELETE", index), "indices:admin/delete")
    _denied(secured.as_(reader, "DELETE", ".kibana_1"), "indices:admin/delete")
    _denied(secured.as_(reader, "PUT", f"{p}-other"), "indices:admin/create")
    _denied(secured.as_(reader, "POST", f"{index}/_delete_by_query",
                        {"query": {"match_all": {}}}), "indices:data/write/delete/byquery")
    _denied(secured.as_(reader, "PUT", f"_index_template/{p}",
                        {"index_patterns": ["*"], "priority": 999,
                         "template": {"settings": {"index.blocks.write": True}}}),
            "indices:admin/index_template/put")
    _denied(secured.as_(reader, "PUT", f"{index}/_mapping",
                        {"properties": {"x": {"type": "text"}}}), "indices:admin/mapping/put")
    _denied(secured.as_(reader, "PUT", "_cluster/settings",
                        {"persistent": {"action.destructive_requires_name": False}}),
            "cluster:admin/settings/update")
    _denied(secured.as_(reader, "POST", "_reindex",
                        {"source": {"index": index}, "dest": {"index": f"{p}-copy"}}),
            "indices:data/write/reindex")
    _denied(secured.as_(reader, "PUT", "_snapshot/backup",
                        {"type": "fs", "settings": {"location": "backup"}}),
            "cluster:admin/repository/put")
    _denied(secured.as_(reader, "PUT", "_snapshot/backup/snap-1"),
            "cluster:admin/snapshot/create")
    status, body = secured.as_(reader, "PUT", f"_plugins/_security/api/rolesmapping/{p}-writer",
                               {"backend_roles": [ADMIN]})
    assert (status, body["status"]) == (403, "FORBIDDEN"), body
    assert body["message"].startswith("No permission to access REST API: User "), body
    assert _count(secured, f"{p}-*") == before


def test_reader_cannot_change_ism_the_engine_answers_before_any_permission(
        secured: Secured) -> None:
    """The ISM plugin's zip is not served to this machine, so the node has no ISM: its REST
    layer answers 400 "no handler found" before the security plugin sees the request. What
    this proves is only that the request changes nothing; the reader role grants no
    cluster:admin/opendistro/ism action (its permissions are listed in the test above)."""
    status, body = secured.as_("admin", "PUT", f"_plugins/_ism/policies/{secured.prefix}-x",
                               {"policy": {"description": "0-day delete", "states": []}})
    assert status == 400 and "no handler found" in json.dumps(body)
    # Where ISM keeps its policies (and the managed-index state) is an index the plugin guards
    # like any other: a reader writing a 0-day delete policy there gets the plugin's own 403.
    _denied(secured.as_("admin", "PUT", ".opendistro-ism-config/_doc/policy-x",
                        {"policy": {"policy_id": "x", "description": "0-day delete",
                                    "states": [{"name": "d", "actions": [{"delete": {}}]}]}}),
            "indices:data/write/index")


# ---- strangers and forged headers --------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_a_principal_the_policy_does_not_name_is_refused_by_iam(secured: Secured,
                                                                 who: str) -> None:
    ident = secured.door.identity(who)
    assert secured.as_(who, "GET", f"{secured.prefix}-*/_search") == (403, {
        "Message": f"User: {ident.principal_arn} is not authorized to perform: es:ESHttpGet "
                   f"on resource: {secured.door.domain_name}"})


def test_proxy_headers_sent_by_a_client_are_dropped(secured: Secured) -> None:
    """A reader claiming to be the master in the plugin's own headers stays a reader."""
    ident = secured.door.identity("admin")
    url = f"{secured.door.url}/_cluster/settings"
    data = json.dumps({"persistent": {"action.destructive_requires_name": False}}).encode()
    request = AWSRequest(method="PUT", url=url, data=data,
                         headers={"content-type": "application/json"})
    SigV4Auth(ident.credentials(), "es", HOME_REGION).add_auth(request)
    headers = {**dict(request.headers.items()), "x-proxy-user": SETUP_ROLE,
               "x-proxy-roles": SETUP_ROLE, "x-forwarded-for": "127.0.0.1"}
    req = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    body = json.loads(err.value.read())
    assert err.value.code == 403
    assert body["error"]["reason"] == (
        f"no permissions for [cluster:admin/settings/update] and User [name={ADMIN}, "
        f"backend_roles=[{ADMIN}], requestedTenant=null]")
