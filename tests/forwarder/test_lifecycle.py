"""The lifecycle (ISM) policy: its body, and its installation against the documented API."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from forwarder import handler, lifecycle
from forwarder.handler import process
from forwarder.settings import Settings
from opensearchpy.exceptions import TransportError

from tests.forwarder.fakes import FakeClient
from tests.forwarder.payloads import encode, payload, realistic_events

SETTINGS = Settings(endpoint="http://127.0.0.1:9200", service="es", index_prefix="le",
                    region="eu-west-1", safety_margin_s=1.0)


def run(client: FakeClient, settings: Settings = SETTINGS, seed: int = 1) -> handler.Summary:
    return process(encode(payload(realistic_events(3, seed=seed))), settings, client,
                   time.monotonic() + 30)


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_policy_deletes_log_and_errors_indices_by_age() -> None:
    body = lifecycle.policy("le", 14)["policy"]
    assert body["default_state"] == "open"
    (open_, delete) = body["states"]
    assert open_["transitions"] == [{"state_name": "delete",
                                     "conditions": {"min_index_age": "14d"}}]
    assert delete == {"name": "delete", "actions": [{"delete": {}}], "transitions": []}
    # One pattern for both: le-2025.11.24 and le-errors-2025.11.24 (and le-errors-undated).
    assert body["ism_template"] == [{"index_patterns": ["le-*"], "priority": 100}]
    assert lifecycle.installed_mark({"policy": body}) == (lifecycle.POLICY_VERSION, 14)


def test_installed_once_per_container_and_kept_when_current(
        capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    run(client)
    run(client, seed=2)
    assert [c for c in client.calls if c[1] == "le-retention"] == [
        ("get_policy", "le-retention"), ("put_policy", "le-retention")]
    stored = client.transport.policies["le-retention"]["policy"]
    assert stored["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "14d"}
    first, second = log_lines(capsys)
    assert first["lifecycle"] == "policy le-retention installed" and "lifecycle" not in second

    handler._policy_ready.clear()  # a new container: one GET, nothing to write
    run(client, seed=3)
    assert [c for c in client.calls if c[1] == "le-retention"][-1] == ("get_policy",
                                                                       "le-retention")


def test_a_new_retention_updates_the_policy_with_its_seq_no() -> None:
    client = FakeClient()
    run(client)
    seq_no = client.transport.policies["le-retention"]["_seq_no"]
    handler._policy_ready.clear()
    run(client, replace(SETTINGS, index_retention_days=30), seed=2)
    stored = client.transport.policies["le-retention"]
    assert stored["_seq_no"] > seq_no
    assert stored["policy"]["states"][0]["transitions"][0]["conditions"] == {
        "min_index_age": "30d"}


def test_a_newer_forwarders_policy_is_left_alone() -> None:
    client = FakeClient()
    newer = lifecycle.policy("le", 7)
    newer["policy"]["description"] = newer["policy"]["description"].replace(
        f"v{lifecycle.POLICY_VERSION} ", f"v{lifecycle.POLICY_VERSION + 1} ")
    client.transport.policies["le-retention"] = {"_seq_no": 5, "_primary_term": 1, **newer}
    run(client)
    assert client.transport.policies["le-retention"]["_seq_no"] == 5


def test_a_concurrent_writer_is_not_overwritten() -> None:
    # Another container wrote the policy between our GET and our PUT: the PUT carries the
    # seq_no we read, the API answers 409, and that is success (its body is ours).
    client = FakeClient()
    client.transport.policies["le-retention"] = {
        "_seq_no": 1, "_primary_term": 1, **lifecycle.policy("le", 99)}
    real = client.transport.perform_request

    def racing(method: str, url: str, params: Any = None, body: Any = None) -> Any:
        if method == "PUT":
            client.transport.policies["le-retention"]["_seq_no"] = 2  # the other writer
        return real(method, url, params=params, body=body)

    client.transport.perform_request = racing  # type: ignore[method-assign]
    assert lifecycle.ensure_policy(client, "le", 14, 5.0) == "raced"
    assert client.transport.policies["le-retention"]["_seq_no"] == 2


def test_a_domain_without_ism_still_gets_its_logs(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    client.transport.present = False
    summary = run(client)
    run(client, seed=2)
    assert summary.stored == 3 and summary.outcome == "ok"
    assert [c for c in client.calls if c[1] == "le-retention"] == [
        ("get_policy", "le-retention")]  # once per container
    first, second = log_lines(capsys)
    assert "no index lifecycle (ISM)" in first["lifecycle"] and "lifecycle" not in second


def test_a_failing_policy_install_never_fails_delivery(
        capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient()
    client.transport.error = TransportError(403, "Forbidden", {"message": "not authorized"})
    summary = run(client)
    assert summary.stored == 3 and summary.outcome == "ok"
    client.transport.error = None
    run(client, seed=2)  # tried again by the next invocation
    assert "le-retention" in client.transport.policies
    first, second = log_lines(capsys)
    assert "will retry" in first["lifecycle"] and second["lifecycle"].endswith("installed")
