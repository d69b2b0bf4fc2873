"""The forwarder's configuration, read once from the environment and validated."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import contract
from contract import (
    DEFAULT_INDEX_PREFIX,
    DEFAULT_SERVICE,
    ENV_BULK_CONCURRENCY,
    ENV_BULK_MAX_BYTES,
    ENV_BULK_MAX_DOCS,
    ENV_DOMAIN_REGION,
    ENV_ENDPOINT,
    ENV_INDEX_PREFIX,
    ENV_REQUEST_TIMEOUT_MS,
    ENV_SAFETY_MARGIN_MS,
    ENV_SERVICE,
    INDEX_PREFIX_RE,
    INDEX_PREFIX_RULE,
    SERVICES,
)

from forwarder import destinations
from forwarder.errors import SettingsError

DEFAULT_BULK_MAX_BYTES = 5 * 1024 * 1024
# CloudWatch Logs never sends more than 10,000 events in one batch, so by default the
# byte limit alone decides how many bulk requests a batch needs.
DEFAULT_BULK_MAX_DOCS = 10_000
DEFAULT_SAFETY_MARGIN_S = 3.0
DEFAULT_REQUEST_TIMEOUT_S = 30.0
# Bulk requests in flight at once, and parts a batch is built in (bench/forwarder_bench.py
# measured 1, 2 and 4: alike on a full core, 4 a little faster on the function's share of a
# CPU, 2 kinder to a saturated node). The client's connection pool holds MAX_BULK_CONCURRENCY
# connections, so no request waits for a socket.
DEFAULT_BULK_CONCURRENCY = 2
MAX_BULK_CONCURRENCY = 4

_LOOPBACK_NAMES = ("localhost",)
# Region names: us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1 (tests/deploy/
# test_deploy_contract.py checks every region the stack accepts against it).
_REGION_RE = re.compile(r"[a-z]{2,}(-[a-z]+)+-\d+")
# Amazon OpenSearch Service endpoints name their region: search-<name>-<id>.<region>.es.
# amazonaws.com (vpc-... for VPC domains), <id>.<region>.aoss.amazonaws.com for Serverless;
# .cn for the China partition.
_AWS_HOST_RE = re.compile(
    r".+\.(?P<region>[a-z]{2,}(?:-[a-z]+)+-\d+)\.(?:es|aoss)\.amazonaws\.com(?:\.cn)?"
)


def region_of_endpoint(endpoint: str) -> str | None:
    """The region an Amazon OpenSearch Service endpoint's host names, or None."""
    host = urlsplit(endpoint).hostname or ""
    m = _AWS_HOST_RE.fullmatch(host)
    return m.group("region") if m else None


def is_loopback_http(endpoint: str) -> bool:
    """True for ``http://`` URLs whose host is this machine (a local test node)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    endpoint: str  # https://search-....es.amazonaws.com (or http://127.0.0.1:9200 for tests)
    service: str  # SigV4 service name: "es" (managed domains) or "aoss" (Serverless)
    index_prefix: str
    region: str  # the region this forwarder runs in: cloud.region of every document
    # The DOMAIN's region: every request is SigV4-signed for it, whatever region the
    # forwarder runs in. Amazon OpenSearch Service refuses a credential scoped to any other
    # region ("Credential should be scoped to a valid region"). None only for an unsigned
    # local node.
    domain_region: str | None = None
    bulk_max_bytes: int = DEFAULT_BULK_MAX_BYTES
    bulk_max_docs: int = DEFAULT_BULK_MAX_DOCS
    # Time kept back from the Lambda deadline to log and return cleanly.
    safety_margin_s: float = DEFAULT_SAFETY_MARGIN_S
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    bulk_concurrency: int = DEFAULT_BULK_CONCURRENCY
    # edgelogs:redact, in order: built-in names and (pattern, replacement) pairs.
    redact: tuple[str | tuple[str, str], ...] = ()
    exclude: tuple[str, ...] = ()  # edgelogs:exclude

    @cached_property
    def redactor(self) -> Any:
        """The forwarder.redact.Redactor of ``redact``, or None when nothing is redacted."""
        if not self.redact:
            return None
        from forwarder.redact import Redactor
        return Redactor.from_config([r if isinstance(r, str)
                                     else {"pattern": r[0], "replacement": r[1]}
                                     for r in self.redact])

    @cached_property
    def excluder(self) -> Any:
        """The forwarder.redact.Excluder of ``exclude``, or None when nothing is excluded."""
        if not self.exclude:
            return None
        from forwarder.redact import Excluder
        return Excluder(self.exclude)
    # The http and syslog destinations (DESTINATIONS); the domain is one when endpoint is set.
    destinations: tuple[dict[str, Any], ...] = ()

    @property
    def has_domain(self) -> bool:
        """An OpenSearch domain is a destination (OPENSEARCH_ENDPOINT is set)."""
        return bool(self.endpoint)

    @property
    def signed(self) -> bool:
        """Requests are SigV4-signed unless the endpoint is plain http on loopback and no
        domain region is given (a bare local node).

        That is the only way to turn signing off, so an https or AWS endpoint is never
        silently sent unsigned requests; a loopback endpoint with OPENSEARCH_REGION (the
        tests' AWS front door) is signed like the real service.
        """
        return self.domain_region is not None or not is_loopback_http(self.endpoint)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        redact, exclude = redaction(env)
        others = destinations.parse(env.get(contract.ENV_DESTINATIONS))
        if others and not env.get(ENV_ENDPOINT, "").strip():
            # No domain among the destinations: nothing of it is read.
            return cls(endpoint="", service=DEFAULT_SERVICE, index_prefix=_prefix(env),
                       region=_region(env), destinations=others, redact=redact,
                       exclude=exclude, **_tuning(env))
        endpoint = _required(env, ENV_ENDPOINT).rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise SettingsError(
                f"{ENV_ENDPOINT} must be an https:// URL, got {endpoint!r}"
            )
        if parts.scheme == "http" and not is_loopback_http(endpoint):
            raise SettingsError(
                f"{ENV_ENDPOINT} must use https:// (plain http is only accepted for a "
                f"node on 127.0.0.1/localhost), got {endpoint!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise SettingsError(
                f"{ENV_ENDPOINT} must be scheme://host[:port] only, got {endpoint!r}"
            )

        service = env.get(ENV_SERVICE, DEFAULT_SERVICE).strip() or DEFAULT_SERVICE
        if service not in SERVICES:
            raise SettingsError(
                f"{ENV_SERVICE} must be one of {', '.join(SERVICES)}, got {service!r}"
            )

        prefix = _prefix(env)
        region = _region(env)
        domain_region = _domain_region(env, endpoint)

        return cls(
            endpoint=endpoint,
            service=service,
            index_prefix=prefix,
            region=region,
            domain_region=domain_region,
            destinations=others,
            redact=redact,
            exclude=exclude,
            **_tuning(env),
        )


def redaction(env: Mapping[str, str]) -> tuple[tuple[str | tuple[str, str], ...],
                                                 tuple[str, ...]]:
    """REDACT and EXCLUDE (JSON lists), checked by the rule the deploy side checks them with
    (contract.redaction_problems); a bad value is refused, naming the variable."""
    values = []
    for name in (contract.ENV_REDACT, contract.ENV_EXCLUDE):
        raw = env.get(name, "").strip()
        try:
            values.append(json.loads(raw) if raw else [])
        except ValueError as exc:
            raise SettingsError(f"{name} must be a JSON list, got {raw[:200]!r} ({exc})") from None
    redact, exclude = values
    problems = contract.redaction_problems(redact, exclude, contract.ENV_REDACT,
                                           contract.ENV_EXCLUDE)
    if problems:
        raise SettingsError("; ".join(problems))
    rules = tuple(r if isinstance(r, str)
                  else (r["pattern"], r.get("replacement", contract.REDACTED)) for r in redact)
    return rules, tuple(exclude)


def _prefix(env: Mapping[str, str]) -> str:
    prefix = env.get(ENV_INDEX_PREFIX, DEFAULT_INDEX_PREFIX).strip() or DEFAULT_INDEX_PREFIX
    if not INDEX_PREFIX_RE.fullmatch(prefix):
        raise SettingsError(f"{ENV_INDEX_PREFIX} must be {INDEX_PREFIX_RULE}; got {prefix!r}")
    return prefix


def _region(env: Mapping[str, str]) -> str:
    region = _required(env, "AWS_REGION")
    if not _REGION_RE.fullmatch(region):
        raise SettingsError(f"AWS_REGION is not a region name: {region!r}")
    return region


def _tuning(env: Mapping[str, str]) -> dict[str, Any]:
    """Request sizes, margins and timeouts: the same for every destination."""
    return {
        "bulk_max_bytes": _int(env, ENV_BULK_MAX_BYTES, DEFAULT_BULK_MAX_BYTES, 16 * 1024,
                               100 * 1024 * 1024),
        "bulk_max_docs": _int(env, ENV_BULK_MAX_DOCS, DEFAULT_BULK_MAX_DOCS, 1, 100_000),
        "safety_margin_s": _int(env, ENV_SAFETY_MARGIN_MS, int(DEFAULT_SAFETY_MARGIN_S * 1000),
                                0, 60_000) / 1000,
        "request_timeout_s": _int(env, ENV_REQUEST_TIMEOUT_MS,
                                  int(DEFAULT_REQUEST_TIMEOUT_S * 1000), 100, 900_000) / 1000,
        "bulk_concurrency": _int(env, ENV_BULK_CONCURRENCY, DEFAULT_BULK_CONCURRENCY, 1,
                                 MAX_BULK_CONCURRENCY),
    }


def _domain_region(env: Mapping[str, str], endpoint: str) -> str | None:
    """OPENSEARCH_REGION if set, else the region the endpoint's host names.

    Never AWS_REGION: a forwarder in ap-southeast-2 writing to a domain in eu-central-1 must
    sign for eu-central-1. An https endpoint whose region cannot be known is an error, not a
    guess.
    """
    explicit = env.get(ENV_DOMAIN_REGION, "").strip()
    parsed = region_of_endpoint(endpoint)
    if explicit:
        if not _REGION_RE.fullmatch(explicit):
            raise SettingsError(f"{ENV_DOMAIN_REGION} is not a region name: {explicit!r}")
        if parsed and parsed != explicit:
            raise SettingsError(
                f"{ENV_DOMAIN_REGION} is {explicit!r} but the endpoint {endpoint!r} is in "
                f"{parsed!r}; requests must be signed for the domain's own region"
            )
        return explicit
    if parsed:
        return parsed
    if is_loopback_http(endpoint):
        return None
    raise SettingsError(
        f"{ENV_DOMAIN_REGION} is required: the endpoint {endpoint!r} does not name the domain's "
        "region (requests are signed for it)"
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is required but not set")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value
