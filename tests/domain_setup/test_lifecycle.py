"""The ISM retention policy: its body, and its installation against the documented ISM API
(https://docs.opensearch.org/latest/im-plugin/ism/api/), through a scripted engine."""

from __future__ import annotations

from typing import Any

import pytest
from domain_setup import lifecycle
from domain_setup.http import SetupError


class FakeIsm:
    """GET answers 404 or the stored policy with _seq_no/_primary_term; PUT stores it."""

    def __init__(self, present: bool = True) -> None:
        self.present = present
        self.stored: dict[str, Any] | None = None
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.calls.append((method, path))
        if not self.present:
            return 400, {"error": f"no handler found for uri [{path}] and method [{method}]"}
        if method == "GET":
            if self.stored is None:
                return 404, {"error": {"reason": "Policy not found"}}
            return 200, {"_id": "le-retention", "_seq_no": 7, "_primary_term": 1,
                         "policy": self.stored}
        self.stored = body["policy"]
        return 201, {"_id": "le-retention"}


def test_the_policy_deletes_log_and_errors_indices_by_age() -> None:
    body = lifecycle.policy("le", 14)["policy"]
    (open_, delete) = body["states"]
    assert open_["transitions"] == [{"state_name": "delete",
                                     "conditions": {"min_index_age": "14d"}}]
    assert delete == {"name": "delete", "actions": [{"delete": {}}], "transitions": []}
    assert body["ism_template"] == [{"index_patterns": ["le-*"], "priority": 100}]


def test_created_then_unchanged_then_updated_with_its_seq_no() -> None:
    ism = FakeIsm()
    assert lifecycle.ensure_policy(ism, "le", 14) == "created"
    assert lifecycle.ensure_policy(ism, "le", 14) == "unchanged"
    assert lifecycle.ensure_policy(ism, "le", 30) == "updated"
    assert ism.calls[-1] == (
        "PUT", "/_plugins/_ism/policies/le-retention?if_seq_no=7&if_primary_term=1")


def test_a_domain_without_ism_is_reported() -> None:
    assert lifecycle.ensure_policy(FakeIsm(present=False), "le", 14) == "unavailable"


def test_a_refusal_raises_with_the_engines_reason() -> None:
    reason = "no permissions for [cluster:admin/opendistro/ism/policy/get]"

    def refuse(method: str, path: str, body: Any) -> tuple[int, Any]:
        return 403, {"error": {"type": "security_exception", "reason": reason}}

    with pytest.raises(SetupError) as err:
        lifecycle.ensure_policy(refuse, "le", 14)
    assert str(err.value) == ("GET /_plugins/_ism/policies/le-retention answered 403: "
                              "no permissions for [cluster:admin/opendistro/ism/policy/get]")
