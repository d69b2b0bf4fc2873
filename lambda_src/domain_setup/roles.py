"""Who may do what on the domain: the security plugin's roles, as data, in one place.

Amazon OpenSearch Service with fine-grained access control and IAM principals passes each
signed request on as a user (the IAM ARN) whose backend role is the IAM role's ARN; a role
mapping names IAM roles under ``backend_roles`` and IAM users under ``users``
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-mapping).
The master user (the setup function's role) is mapped by the service to ``all_access`` and
``security_manager`` (same page, "About the master user"); it is not in this table.

Everything here is pure data and pure builders: the setup function installs
``role_bodies``/``mapping_bodies``, the README's Security section is ``markdown()``
(tests/integration/test_access_control.py proves the roles on the real plugin, and
tests/domain_setup/test_roles.py that the README says what this file says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract import ROLE_OPERATOR, ROLE_READER, ROLE_WRITER


@dataclass(frozen=True)
class IndexGrant:
    patterns: tuple[str, ...]  # "{prefix}" stands for the stack's index prefix
    actions: tuple[str, ...]


@dataclass(frozen=True)
class RoleSpec:
    key: str
    principals: str  # who is mapped to it (README)
    can: str  # what it may do, in words (README)
    cannot: str
    cluster: tuple[str, ...]
    indices: tuple[IndexGrant, ...]
    tenants: tuple[IndexGrant, ...] = ()  # tenant patterns and their actions


# The log indices <prefix>-YYYY.MM.DD and the errors indices <prefix>-errors-YYYY.MM.DD.
LOG_INDICES = ("{prefix}-*",)
# Dashboards' own indices: its saved objects (index patterns, searches, visualizations),
# one index per tenant.
DASHBOARDS_INDICES = (".kibana", ".kibana_*", ".opensearch_dashboards",
                      ".opensearch_dashboards_*")

# Storing documents the way the forwarder does: _bulk with op_type create (the bulk action
# is checked once on the cluster and then per index), and creating the day's index from the
# template the setup installed. No update, no delete, no mapping change.
WRITE_DOCUMENTS = ("indices:data/write/index", "indices:data/write/bulk[s]",
                   "indices:admin/create")
BULK = ("indices:data/write/bulk",)
# Reading: the plugin's "read" action group (search, get, field capabilities, resolve) and
# the multi-request APIs (cluster_composite_ops_ro: _mget, _msearch, scroll).
READ = ("read",)
# Saved objects: Dashboards writes them as documents of its own index.
SAVED_OBJECTS = ("read", "indices:data/write/index", "indices:data/write/update",
                 "indices:data/write/delete", "indices:data/write/bulk[s]")

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        key=ROLE_WRITER,
        principals="the forwarder role (every region's forwarder)",
        can="store documents in `<prefix>-*` and `<prefix>-errors-*`, creating the day's "
            "index from the installed template",
        cannot="read, update or delete documents; delete indices; change mappings, index "
               "templates, ISM policies, cluster settings or security; touch any other index",
        cluster=BULK,
        indices=(IndexGrant(LOG_INDICES, WRITE_DOCUMENTS),),
    ),
    RoleSpec(
        key=ROLE_OPERATOR,
        principals="`operatorPrincipals` (people running `edgelogs replay` and "
                   "`edgelogs backfill`)",
        can="the writer's writes: store documents in `<prefix>-*` and `<prefix>-errors-*`",
        cannot="the same as the writer",
        cluster=BULK,
        indices=(IndexGrant(LOG_INDICES, WRITE_DOCUMENTS),),
    ),
    RoleSpec(
        key=ROLE_READER,
        principals="`adminPrincipals` and the role Cognito gives signed-in Dashboards users",
        can="search and read `<prefix>-*` (Dashboards' Discover, `edgelogs search`); keep "
            "Dashboards saved objects in Dashboards' own indices; read the global tenant",
        cannot="write, update or delete log documents; create or delete indices; change "
               "mappings, index templates, ISM policies, cluster settings, snapshots or "
               "security; reindex",
        cluster=("cluster_composite_ops_ro", *BULK),
        indices=(IndexGrant(LOG_INDICES, READ), IndexGrant(DASHBOARDS_INDICES, SAVED_OBJECTS)),
        tenants=(IndexGrant(("global_tenant",), ("kibana_all_read",)),),
    ),
)
BY_KEY: dict[str, RoleSpec] = {r.key: r for r in ROLES}


def role_name(key: str, index_prefix: str) -> str:
    """``<prefix>-writer`` and so on: the prefix names everything the stack owns."""
    return f"{index_prefix}-{key}"


def _fill(patterns: Sequence[str], index_prefix: str) -> list[str]:
    return [p.replace("{prefix}", index_prefix) for p in patterns]


def role_body(spec: RoleSpec, index_prefix: str) -> dict[str, Any]:
    """The body of ``PUT _plugins/_security/api/roles/<name>``."""
    return {
        "description": f"edgelogs {spec.key}: {spec.can}",
        "cluster_permissions": list(spec.cluster),
        "index_permissions": [
            {"index_patterns": _fill(g.patterns, index_prefix),
             "allowed_actions": list(g.actions)} for g in spec.indices],
        "tenant_permissions": [
            {"tenant_patterns": list(g.patterns), "allowed_actions": list(g.actions)}
            for g in spec.tenants],
    }


def role_bodies(index_prefix: str) -> dict[str, dict[str, Any]]:
    return {role_name(r.key, index_prefix): role_body(r, index_prefix) for r in ROLES}


def mapping_body(arns: Sequence[str]) -> dict[str, Any]:
    """IAM roles as backend roles, anything else (IAM users) as users, as the service maps
    them. Sorted and de-duplicated: the same principals always give the same body."""
    unique = sorted(set(arns))
    return {
        "backend_roles": [a for a in unique if ":role/" in a],
        "users": [a for a in unique if ":role/" not in a],
    }


def mapping_bodies(index_prefix: str,
                   principals: Mapping[str, Sequence[str]]) -> dict[str, dict[str, Any]]:
    """Role name -> the body of ``PUT _plugins/_security/api/rolesmapping/<name>``."""
    unknown = sorted(set(principals) - set(BY_KEY))
    if unknown:
        raise ValueError(f"principals: unknown role key(s) {', '.join(unknown)}; "
                         f"known: {', '.join(BY_KEY)}")
    return {role_name(r.key, index_prefix): mapping_body(principals.get(r.key, ()))
            for r in ROLES}


def markdown() -> str:
    """The README's table of what each principal can do (generated: never edited by hand)."""
    rows = ["| principal | role | can | cannot | permissions |",
            "|---|---|---|---|---|"]
    for r in ROLES:
        perms = [f"cluster: {', '.join(f'`{a}`' for a in r.cluster)}"]
        perms += [f"{', '.join(f'`{p}`' for p in _fill(g.patterns, '<prefix>'))}: "
                  f"{', '.join(f'`{a}`' for a in g.actions)}" for g in r.indices]
        perms += [f"tenant {', '.join(f'`{p}`' for p in g.patterns)}: "
                  f"{', '.join(f'`{a}`' for a in g.actions)}" for g in r.tenants]
        rows.append(f"| {r.principals} | `<prefix>-{r.key}` | {r.can} | {r.cannot} | "
                    f"{'<br>'.join(perms)} |")
    rows.append("| the setup function's role (master user) | `all_access`, `security_manager` "
                "(mapped by the service) | install roles, role mappings, index templates and "
                "the ISM policy on every `pulumi up` that changes them | — | everything |")
    return "\n".join(rows) + "\n"
