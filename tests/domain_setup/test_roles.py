"""The roles' data: what each role grants, written out, and the README generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from domain_setup import roles

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_security_table_is_generated_from_the_roles() -> None:
    text = README.read_text()
    m = re.search(r"<!-- roles:begin -->\n(.*?)<!-- roles:end -->", text, re.S)
    assert m is not None, "README.md has no roles:begin/roles:end section"
    assert m[1] == roles.markdown(), (
        "README.md's Security table differs from lambda_src/domain_setup/roles.py: "
        "paste roles.markdown() between the markers")


def test_the_table_names_every_role_and_the_master() -> None:
    table = roles.markdown()
    for name in ("`<prefix>-writer`", "`<prefix>-operator`", "`<prefix>-reader`",
                 "`all_access`, `security_manager`"):
        assert name in table


def test_role_bodies_for_a_prefix() -> None:
    bodies = roles.role_bodies("le")
    assert sorted(bodies) == ["le-operator", "le-reader", "le-writer"]
    assert bodies["le-writer"]["cluster_permissions"] == ["indices:data/write/bulk"]
    assert bodies["le-writer"]["index_permissions"] == [{
        "index_patterns": ["le-*"],
        "allowed_actions": ["indices:data/write/index", "indices:data/write/bulk[s]",
                            "indices:admin/create"]}]
    assert bodies["le-operator"]["index_permissions"] == bodies["le-writer"]["index_permissions"]
    reader = bodies["le-reader"]
    assert reader["cluster_permissions"] == ["cluster_composite_ops_ro",
                                             "indices:data/write/bulk"]
    assert reader["index_permissions"] == [
        {"index_patterns": ["le-*"], "allowed_actions": ["read"]},
        {"index_patterns": [".kibana", ".kibana_*", ".opensearch_dashboards",
                            ".opensearch_dashboards_*"],
         "allowed_actions": ["read", "indices:data/write/index", "indices:data/write/update",
                             "indices:data/write/delete", "indices:data/write/bulk[s]"]}]
    assert reader["tenant_permissions"] == [
        {"tenant_patterns": ["global_tenant"], "allowed_actions": ["kibana_all_read"]}]


def test_mappings_put_roles_in_backend_roles_and_users_in_users() -> None:
    bodies = roles.mapping_bodies("le", {
        "reader": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/ops",
                   "arn:aws:iam::111122223333:role/ops"],
        "writer": ["arn:aws:iam::111122223333:role/fwd"]})
    assert bodies == {
        "le-writer": {"backend_roles": ["arn:aws:iam::111122223333:role/fwd"], "users": []},
        "le-operator": {"backend_roles": [], "users": []},
        "le-reader": {"backend_roles": ["arn:aws:iam::111122223333:role/ops"],
                      "users": ["arn:aws:iam::111122223333:user/alice"]},
    }


def test_an_unknown_role_key_is_named() -> None:
    with pytest.raises(ValueError, match="principals: unknown role key"):
        roles.mapping_bodies("le", {"admin": []})
