"""Helpers shared by the forwarder's integration tests.

``settings``/``client_for``: a forwarder talking to the node directly (unsigned, loopback).
``deployed_settings``/``signed_client``: a forwarder as the program deploys it in a region
(its environment from the program run under mocks), talking to the front door and signing
with that region's forwarder-role session keys.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from forwarder.client import make_client
from forwarder.settings import Settings

from tests.support.front_door import Deployment, FrontDoor


def settings(url: str, prefix: str, region: str = "eu-west-1", **env: str) -> Settings:
    return Settings.from_env({"OPENSEARCH_ENDPOINT": url, "AWS_REGION": region,
                              "INDEX_PREFIX": prefix, **env})


def client_for(s: Settings) -> Any:
    return make_client(s)


def deployed_settings(door: FrontDoor, dep: Deployment, region: str, **env: str) -> Settings:
    """The environment the program gives the forwarder of ``region``, with the endpoint
    pointed at the front door (and Lambda's own AWS_REGION), plus ``env`` overrides."""
    program_env = dep.forwarder_env[region]
    return Settings.from_env({**program_env, "OPENSEARCH_ENDPOINT": door.url,
                              "AWS_REGION": region, **env})


def signed_client(door: FrontDoor, s: Settings) -> Any:
    """The forwarder's own client, signing with the session keys of its region's role."""
    return make_client(s, credentials=door.identity(f"forwarder-{s.region}").credentials())


def sign_as(monkeypatch: Any, door: FrontDoor, name: str) -> None:
    """Make a command sign as the front door's identity ``name``, the way a person's shell
    does: through the environment botocore's default credential chain reads first."""
    identity = door.identity(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", identity.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", identity.secret_key)
    if identity.token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", identity.token)
    else:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def call(url: str, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{url}/{path}", data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def event_of(doc: dict[str, Any]) -> str:
    """CloudWatch's event id of a stored log document: its _id's second half (the documents
    carry no event.id copy: issue 21)."""
    return str(doc["_id"]).split("-", 1)[1]


def all_docs(url: str, pattern: str) -> list[dict[str, Any]]:
    """Every document of the indices matching ``pattern`` (refreshed first)."""
    call(url, "POST", f"{pattern}/_refresh")
    hits = call(url, "POST", f"{pattern}/_search?size=10000&seq_no_primary_term=false",
                {"query": {"match_all": {}}, "sort": ["_doc"]})["hits"]["hits"]
    return hits


def count(url: str, pattern: str, query: dict[str, Any] | None = None) -> int:
    call(url, "POST", f"{pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true")
    body = {"query": query} if query else None
    return call(url, "POST",
                f"{pattern}/_count?ignore_unavailable=true&allow_no_indices=true",
                body)["count"]
