"""The index lifecycle: an ISM policy that deletes old log and errors indices.

One policy, ``<prefix>-retention``, attached by its ``ism_template`` to every new index named
``<prefix>-*`` (the daily log indices and ``<prefix>-errors-*``). An index moves to the
``delete`` state, and is deleted, ``indexRetentionDays`` (the setup's input) after it
was created.

Why ``min_index_age`` (the index's creation date) and no rollover: the forwarder writes one
index per **event** day, named by the day, and an event's ``_id`` is only unique within its
index. Rollover would move writes to a new index and let a retry store an event twice; with
an index per day, an index's age is the age of its data. (An index created late, by a
backfill or a replay of an old day, is kept ``indexRetentionDays`` from then.)

Installed by the domain setup (``domain_setup.setup``): GET first, PUT only when missing or
different (``POLICY_VERSION`` and the retention, both kept in the description, since ISM
refuses unknown fields), an update guarded by ``if_seq_no``/``if_primary_term``. ISM applies
a policy to indices created after it; an index keeps the policy version it was given (the
change-policy API moves old ones).

A domain without ISM (a plain OpenSearch node: the plugin is not there) answers 400 "no
handler found"; the setup then reports it. Amazon OpenSearch Service always has ISM.
Reference: https://docs.opensearch.org/latest/im-plugin/ism/api/
"""

from __future__ import annotations

import re
from typing import Any

import contract

from domain_setup.http import Call, SetupError

POLICY_VERSION = 1
# Above 0 (the default) so an operator's catch-all `*` policy at priority 0 does not win.
ISM_TEMPLATE_PRIORITY = 100
_MARK = re.compile(r"\[edgelogs retention v(\d+) (\d+)d\]")


def policy_id(index_prefix: str) -> str:
    return contract.retention_policy_id(index_prefix)


def policy(index_prefix: str, retention_days: int) -> dict[str, Any]:
    """The body of ``PUT _plugins/_ism/policies/<prefix>-retention``."""
    return {
        "policy": {
            "description": (
                f"Deletes {index_prefix}-* indices (daily logs and errors) {retention_days} "
                f"days after they were created [edgelogs retention v{POLICY_VERSION} "
                f"{retention_days}d]"
            ),
            "default_state": "open",
            "states": [
                {
                    "name": "open",
                    "actions": [],
                    "transitions": [{"state_name": "delete",
                                     "conditions": {"min_index_age": f"{retention_days}d"}}],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [f"{index_prefix}-*"],
                              "priority": ISM_TEMPLATE_PRIORITY}],
        }
    }


def installed_mark(found: dict[str, Any]) -> tuple[int, int] | None:
    """(version, retention days) of an installed policy, from a GET answer."""
    body = found.get("policy") or {}
    if isinstance(body.get("policy"), dict):  # some versions nest it once more
        body = body["policy"]
    m = _MARK.search(str(body.get("description", "")))
    return (int(m[1]), int(m[2])) if m else None


def no_ism(status: int, answer: Any) -> bool:
    """The domain has no ISM plugin: the REST layer found no handler for the path."""
    text = answer.get("error") if isinstance(answer, dict) else answer
    return status in (400, 405) and isinstance(text, str) and "no handler found" in text


def ensure_policy(call: Call, index_prefix: str, retention_days: int) -> str:
    """Install or update the policy when needed; returns what was done.

    "created", "updated", "unchanged" or "unavailable" (no ISM). Anything else the engine
    answers raises SetupError with its reason.
    """
    path = f"/_plugins/_ism/policies/{policy_id(index_prefix)}"
    status, found = call("GET", path, None)
    if no_ism(status, found):
        return "unavailable"
    if status == 404:
        found = None
    elif status != 200:
        raise SetupError.answer("GET", path, status, found)
    query = ""
    if found is not None:
        if installed_mark(found) == (POLICY_VERSION, retention_days):
            return "unchanged"
        query = f"?if_seq_no={found['_seq_no']}&if_primary_term={found['_primary_term']}"
    status, answer = call("PUT", path + query, policy(index_prefix, retention_days))
    if status not in (200, 201):
        raise SetupError.answer("PUT", path, status, answer)
    return "created" if found is None else "updated"
