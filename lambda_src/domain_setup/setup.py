"""Apply the domain's desired state: roles, role mappings, index templates, ISM policy.

Idempotent: each item is read first and written only when missing or different, so a second
run with the same input changes nothing (every item reports "unchanged"). Any answer the
engine gives that is not the expected one raises SetupError with the engine's reason, which
fails the deploy (components/domain_setup.py invokes this with lambda.Invocation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain_setup import lifecycle, roles, template
from domain_setup.http import Call, SetupError

SECURITY_API = "/_plugins/_security/api"


@dataclass(frozen=True)
class Desired:
    index_prefix: str
    retention_days: int
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    shards: int = 1  # primary shards of a daily log index (contract.index_shards)
    replicas: int = 0  # 1 on a domain of two or more data nodes (contract.index_replicas)


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def templates(index_prefix: str, shards: int = 1, replicas: int = 0
              ) -> dict[str, dict[str, Any]]:
    """The index templates, each marked with a digest of its own body in ``_meta``: a
    template whose content changed (a new mapping) differs from the installed one."""
    out = {}
    for name, body in template.templates(index_prefix, shards, replicas).items():
        out[name] = {**body, "_meta": {**body.get("_meta", {}), "edgelogs_digest": _digest(body)}}
    return out


def _role_view(body: Mapping[str, Any]) -> Any:
    """What decides a role's meaning, in a comparable form (the API adds fields: dls, fls,
    masked_fields, reserved, static...)."""
    return (
        str(body.get("description", "")),
        sorted(body.get("cluster_permissions") or []),
        sorted((sorted(p.get("index_patterns") or []), sorted(p.get("allowed_actions") or []))
               for p in body.get("index_permissions") or []),
        sorted((sorted(p.get("tenant_patterns") or []), sorted(p.get("allowed_actions") or []))
               for p in body.get("tenant_permissions") or []),
    )


def _mapping_view(body: Mapping[str, Any]) -> Any:
    return (sorted(body.get("backend_roles") or []), sorted(body.get("users") or []),
            sorted(body.get("hosts") or []))


def _get(call: Call, path: str) -> Any:
    """The answer, or None when the item does not exist (404)."""
    status, answer = call("GET", path, None)
    if status == 404:
        return None
    if status != 200:
        raise SetupError.answer("GET", path, status, answer)
    return answer


def _put(call: Call, path: str, body: Any, existed: bool) -> str:
    status, answer = call("PUT", path, body)
    if status not in (200, 201):
        raise SetupError.answer("PUT", path, status, answer)
    return "updated" if existed else "created"


def _security_item(call: Call, kind: str, name: str, body: Mapping[str, Any],
                   view: Any) -> str:
    path = f"{SECURITY_API}/{kind}/{name}"
    found = _get(call, path)
    current = found.get(name) if isinstance(found, dict) else None
    if current is not None and current.get("reserved"):
        raise SetupError(f"{kind}/{name} is a reserved item of the security plugin; "
                         "choose another indexPrefix")
    if current is not None and view(current) == view(body):
        return "unchanged"
    return _put(call, path, body, current is not None)


def _template(call: Call, name: str, body: Mapping[str, Any]) -> str:
    path = f"/_index_template/{name}"
    found = _get(call, path)
    installed = (found or {}).get("index_templates") or []
    meta = installed[0].get("index_template", {}).get("_meta", {}) if installed else {}
    if installed and meta.get("edgelogs_digest") == body["_meta"]["edgelogs_digest"]:
        return "unchanged"
    return _put(call, path, body, bool(installed))


def apply_security(call: Call, desired: Desired) -> dict[str, str]:
    """The roles, then their mappings (a mapping of a role that does not exist is refused)."""
    prefix = desired.index_prefix
    done: dict[str, str] = {}
    for name, body in roles.role_bodies(prefix).items():
        done[f"role {name}"] = _security_item(call, "roles", name, body, _role_view)
    for name, body in roles.mapping_bodies(prefix, desired.principals).items():
        done[f"rolesmapping {name}"] = _security_item(call, "rolesmapping", name, body,
                                                      _mapping_view)
    return done


def apply_indices(call: Call, desired: Desired) -> dict[str, str]:
    """The index templates and the ISM retention policy."""
    prefix = desired.index_prefix
    done = {f"index_template {name}": _template(call, name, body)
            for name, body in templates(prefix, desired.shards, desired.replicas).items()}
    done[f"ism_policy {lifecycle.policy_id(prefix)}"] = lifecycle.ensure_policy(
        call, prefix, desired.retention_days)
    return done


def apply(call: Call, desired: Desired) -> dict[str, str]:
    """Install everything; returns item -> created | updated | unchanged | unavailable."""
    return {**apply_security(call, desired), **apply_indices(call, desired)}
