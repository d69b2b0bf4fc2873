"""The stack configuration (namespace `edgelogs`), read once into one validated, typed object.

`parse_config` is a pure function of the raw strings Pulumi hands over, so every rule can be
tested without a Pulumi runtime; `load_config` is the thin part that reads them. Every error
names the key and what is allowed, and all problems are reported at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import contract
import pulumi
from contract import (
    DEFAULT_INDEX_PREFIX,
    DEFAULT_INDEX_RETENTION_DAYS,
    INDEX_PREFIX_RE,
    INDEX_PREFIX_RULE,
    INDEX_RETENTION_DAYS,
)

from components import aws_catalog, naming

NAMESPACE = "edgelogs"

# CloudFront regional edge caches. AWS publishes no authoritative list (the README's
# "Configuration" says how to choose).
DEFAULT_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1",
    "eu-west-2", "sa-east-1",
)  # fmt: skip

KEYS: tuple[str, ...] = (
    "homeRegion", "regions", "edgeFunctions", "logRetentionDays", "filterPattern",
    "indexPrefix", "domain", "adminPrincipals", "operatorPrincipals", "existingLogGroups",
    "distributionIds", "alarmEmail", "tags", "coverageCheck",
    "dashboards", "dashboardUsers",
    "indexRetentionDays", "forwarderConcurrency", "destinations",
    "redact", "exclude",
)  # fmt: skip
DOMAIN_KEYS: tuple[str, ...] = (
    "engineVersion", "instanceType", "instanceCount", "volumeSizeGb", "zoneAwareness",
    "dedicatedMasterType", "dedicatedMasterCount",
    "protect", "expectedDailyGb",
)  # fmt: skip

# Lambda FunctionName (a plain name, not an ARN): letters, digits, hyphens, underscores, 1-64.
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The index prefix rule (INDEX_PREFIX_RE) and the retention bounds are the
# forwarder's too: lambda_src/contract.py defines them once.
# IAM principals a resource policy can name (account root, user, role).
_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$"
)
# CloudFront distribution ids: uppercase letters and digits (e.g. E2QWRUHAPOMQZL).
_DISTRIBUTION_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# CloudWatch Logs log group names: 1-512 of a-z A-Z 0-9 _ - / . # (CreateLogGroup,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html);
# Lambda's LoggingConfig.LogGroup has the same pattern, [\.\-_/#A-Za-z0-9]+, 1-512
# (https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html), and a custom group
# "mustn't begin with the string aws/" (https://docs.aws.amazon.com/lambda/latest/dg/
# monitoring-cloudwatchlogs-loggroups.html).
_LOG_GROUP_NAME = re.compile(r"^[A-Za-z0-9_\-/.#]{1,512}$")
EDGE_FUNCTION_KEYS: tuple[str, ...] = ("name", "logGroup")
FILTER_PATTERN_MAX = 1024  # CloudWatch Logs PutSubscriptionFilter limit
MAX_VOLUME_GB = 24576  # the largest EBS volume OpenSearch Service allows on any instance type
# Reserved concurrency per forwarder. 5 is plenty for steady edge log volume (each invocation
# stores one CloudWatch Logs batch in well under a second), and reserving it caps the
# forwarder too, so a slow domain can never take the region's concurrency from Lambda@Edge,
# which runs in that same regional pool. Events beyond it wait in Lambda's async queue.
# Above 50 the domain, not Lambda, is the bottleneck, and the pool Lambda@Edge shares shrinks.
# 0 means no reservation at all (NO_RESERVATION below): Lambda keeps 100 of a region's
# concurrency unreserved ("reserve up to the Unreserved account concurrency value ... minus
# 100", https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), so an
# account still at a new account's small limit (as low as 10) cannot reserve even 1.
FORWARDER_CONCURRENCY = (0, 50)
# What the provider takes for "no reservation": reservedConcurrentExecutions -1 removes it
# (DeleteFunctionConcurrency), where 0 would stop the function ("A value of 0 disables lambda
# from being triggered and -1 removes any concurrency limitations",
# https://www.pulumi.com/registry/packages/aws/api-docs/lambda/function/).
NO_RESERVATION = -1
DEFAULT_FORWARDER_CONCURRENCY = 5


DASHBOARDS_KEYS: tuple[str, ...] = ("auth",)
DASHBOARDS_AUTH: tuple[str, ...] = ("cognito", "none")
COGNITO_USERNAME_MAX = 128  # botocore cognito-idp UsernameType


class ConfigError(pulumi.RunError):
    """Bad stack configuration. A RunError so Pulumi prints the message without a traceback."""


@dataclass(frozen=True)
class DomainSettings:
    engine_version: str = aws_catalog.DEFAULT_ENGINE_VERSION
    instance_type: str = aws_catalog.DEFAULT_INSTANCE_TYPE
    instance_count: int = 1
    volume_size_gb: int = 10  # the gp3 minimum; plenty for a few GB of logs a day at 30 days
    zone_awareness: bool = False
    dedicated_master_type: str | None = None
    dedicated_master_count: int = 0
    protect: bool = True  # pulumi `protect`: a destroy cannot delete the domain by accident
    # GB of log documents a day: sets the primary shards of each daily index (<= 30 GB each).
    expected_daily_gb: float = contract.DEFAULT_EXPECTED_DAILY_GB

    @property
    def index_shards(self) -> int:
        return contract.index_shards(self.expected_daily_gb)

    @property
    def index_replicas(self) -> int:
        return contract.index_replicas(self.instance_count)


@dataclass(frozen=True)
class DashboardsSettings:
    """How people sign in to Dashboards (`dashboards.auth`) and who is invited."""

    auth: str = "cognito"
    users: tuple[str, ...] = ()  # e-mail addresses, each a Cognito username

    @property
    def cognito(self) -> bool:
        return self.auth == "cognito"


@dataclass(frozen=True)
class EdgelogsConfig:
    stack: str
    home_region: str
    regions: tuple[str, ...]
    edge_functions: tuple[str, ...]
    log_retention_days: int = 30
    filter_pattern: str = ""
    index_prefix: str = DEFAULT_INDEX_PREFIX
    domain: DomainSettings = field(default_factory=DomainSettings)
    admin_principals: tuple[str, ...] = ()
    # Who runs replay and backfill: mapped to the operator role (lambda_src/domain_setup/roles.py).
    operator_principals: tuple[str, ...] = ()
    existing_log_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    distribution_ids: tuple[str, ...] = ()
    alarm_email: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    dashboards: DashboardsSettings = field(default_factory=DashboardsSettings)
    # function -> its custom log group, for the edgeFunctions entries given as {name, logGroup}
    custom_log_groups: Mapping[str, str] = field(default_factory=dict)
    coverage_check: bool = True
    index_retention_days: int = DEFAULT_INDEX_RETENTION_DAYS
    forwarder_concurrency: int = DEFAULT_FORWARDER_CONCURRENCY
    # edgelogs:redact / edgelogs:exclude as the forwarder reads them (contract.ENV_REDACT /
    # ENV_EXCLUDE): compact JSON lists, "[]" when unset.
    redact_json: str = "[]"
    exclude_json: str = "[]"
    # Where events go, each entry normalised (defaults filled in); the default is the domain.
    destinations: tuple[Mapping[str, Any], ...] = ({"type": contract.DEST_OPENSEARCH},)

    @property
    def has_domain(self) -> bool:
        """An `opensearch` destination: only then are the domain and all around it created."""
        return any(d["type"] == contract.DEST_OPENSEARCH for d in self.destinations)

    @property
    def other_destinations(self) -> tuple[Mapping[str, Any], ...]:
        """The http and syslog entries: the forwarder's DESTINATIONS."""
        return tuple(d for d in self.destinations if d["type"] != contract.DEST_OPENSEARCH)

    @property
    def header_secret_arns(self) -> tuple[str, ...]:
        """The Secrets Manager secrets the forwarder may read (http headersSecret), each once."""
        return tuple(dict.fromkeys(
            d["headersSecret"] for d in self.destinations if d.get("headersSecret")))

    def log_group_names(self) -> tuple[str, ...]:
        """The log groups collected in every region, edge functions first, each once."""
        return naming.collected_log_groups(
            self.edge_functions, self.distribution_ids, self.custom_log_groups
        )

    @property
    def all_tags(self) -> dict[str, str]:
        # The user's tags win over ours, except that they cannot hide which stack made it.
        return {"app": "edgelogs", **self.tags, "edgelogs:stack": self.stack}


class _Errors:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.messages.append(f"{NAMESPACE}:{key}: {message}")


def _decode(raw: Mapping[str, str | None], key: str) -> Any:
    """Structured values arrive as JSON text; a plain string is allowed where a string is."""
    value = raw.get(key)
    if value is None:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _string_list(value: Any, key: str, errors: _Errors, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(key, f"must be a list of strings, got {value!r}")
        return ()
    if not value and not allow_empty:
        errors.add(key, "must not be empty")
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        errors.add(key, f"duplicate entries {dupes}; list each once")
    return tuple(value)


def _optional_list_matching(
    raw: Mapping[str, str | None], key: str, pattern: re.Pattern[str], errors: _Errors,
    problem: str,
) -> tuple[str, ...]:
    """An optional list of strings, each of which must match `pattern`."""
    value = _decode(raw, key)
    items = () if value is None else _string_list(value, key, errors, allow_empty=True)
    for item in items:
        if not pattern.match(item):
            errors.add(key, f"{item!r} {problem}")
    return items


def _regions(value: Any, key: str, errors: _Errors) -> tuple[str, ...]:
    known = aws_catalog.region_partitions()
    regions = _string_list(value, key, errors, allow_empty=False)
    for region in regions:
        if region not in known:
            errors.add(
                key,
                f"unknown region {region!r}; allowed: regions in botocore's endpoint data "
                f"with Lambda and CloudWatch Logs, e.g. {', '.join(DEFAULT_REGIONS[:4])} "
                f"(all: {', '.join(sorted(known))})",
            )
    return regions


def _int(value: Any, key: str, errors: _Errors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(key, f"must be an integer, got {value!r}")
        return None
    return value


def _index_prefix(value: Any, errors: _Errors) -> str:
    """The forwarder's own rule (contract.INDEX_PREFIX_RE), no looser: a prefix this
    accepts, every forwarder accepts at cold start. tests/deploy/test_deploy_contract.py
    proves the two accept the same set."""
    key = "indexPrefix"
    rule = f"allowed: {INDEX_PREFIX_RULE}"
    if not isinstance(value, str) or not value:
        errors.add(key, f"must be a non-empty string; {rule}")
        return ""
    if not INDEX_PREFIX_RE.fullmatch(value):
        errors.add(key, f"invalid index prefix {value!r}; {rule}")
    return value


def _domain(value: Any, errors: _Errors) -> DomainSettings:
    if value is None:
        return DomainSettings()
    if not isinstance(value, dict):
        errors.add("domain", f"must be an object with keys {', '.join(DOMAIN_KEYS)}")
        return DomainSettings()
    unknown = sorted(set(value) - set(DOMAIN_KEYS))
    if unknown:
        errors.add("domain", f"unknown keys {unknown}; allowed: {', '.join(DOMAIN_KEYS)}")
    d = DomainSettings()
    engine = value.get("engineVersion", d.engine_version)
    _engine_version(engine, errors)
    instance_type = value.get("instanceType", d.instance_type)
    _instance_type("domain.instanceType", instance_type, errors)
    count = _int(value.get("instanceCount", d.instance_count), "domain.instanceCount", errors)
    limit = aws_catalog.max_data_nodes(str(instance_type))
    if count is not None and not 1 <= count <= limit:
        errors.add(
            "domain.instanceCount",
            f"{count} data nodes of {instance_type}; allowed: 1-{limit} (OpenSearch Service "
            f"allows at most {aws_catalog.MAX_DATA_NODES_BURSTABLE} data nodes of T2 and T3 "
            f"instance types, {aws_catalog.MAX_DATA_NODES} of the others)",
        )
    volume = _int(value.get("volumeSizeGb", d.volume_size_gb), "domain.volumeSizeGb", errors)
    if volume is not None and not 10 <= volume <= MAX_VOLUME_GB:
        errors.add("domain.volumeSizeGb", f"must be 10-{MAX_VOLUME_GB} (gp3), got {volume}")
    zone_awareness = value.get("zoneAwareness", d.zone_awareness)
    if not isinstance(zone_awareness, bool):
        errors.add("domain.zoneAwareness", f"must be true or false, got {zone_awareness!r}")
    elif zone_awareness and count is not None and (count < 2 or count % 2):
        # Two zones need the shards spread evenly: an even number of data nodes.
        errors.add("domain.instanceCount", f"must be even and >= 2 with zoneAwareness, got {count}")
    masters = _int(
        value.get("dedicatedMasterCount", d.dedicated_master_count),
        "domain.dedicatedMasterCount",
        errors,
    )
    master_type = value.get("dedicatedMasterType")
    if masters is not None and masters not in (0, 3, 5):
        errors.add("domain.dedicatedMasterCount", f"allowed: 0 (none), 3 or 5; got {masters}")
    if masters and master_type is None:
        errors.add("domain.dedicatedMasterType", "is required when dedicatedMasterCount > 0")
    if master_type is not None:
        _instance_type("domain.dedicatedMasterType", master_type, errors)
    return DomainSettings(
        engine_version=engine,
        instance_type=instance_type,
        instance_count=count or 1,
        volume_size_gb=volume or d.volume_size_gb,
        zone_awareness=zone_awareness is True,
        dedicated_master_type=master_type if masters else None,
        dedicated_master_count=masters or 0,
        protect=_protect(value.get("protect", d.protect), errors),
        expected_daily_gb=_expected_daily_gb(value.get("expectedDailyGb", d.expected_daily_gb),
                                             errors),
    )


def _expected_daily_gb(value: Any, errors: _Errors) -> float:
    high = contract.EXPECTED_DAILY_GB_MAX
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value <= high or value != value:
        errors.add("domain.expectedDailyGb",
                   f"must be a number of GB a day, more than 0 and at most {high}; got {value!r}")
        return contract.DEFAULT_EXPECTED_DAILY_GB
    return value


def _engine_version(engine: Any, errors: _Errors) -> None:
    allowed = ", ".join(aws_catalog.allowed_engine_versions())
    if not isinstance(engine, str) or engine not in aws_catalog.OPENSEARCH_ENGINE_VERSIONS:
        errors.add("domain.engineVersion", f"unknown engine version {engine!r}; allowed: {allowed}")
    elif engine not in aws_catalog.allowed_engine_versions():
        errors.add(
            "domain.engineVersion",
            f"{engine} is older than {aws_catalog.MIN_ENGINE_VERSION}, which the index template "
            f"needs (flat_object, rfc3339_lenient dates); allowed: {allowed}",
        )


def _protect(value: Any, errors: _Errors) -> bool:
    if not isinstance(value, bool):
        errors.add("domain.protect", f"must be true or false, got {value!r}")
        return True  # an invalid value never unprotects
    return value


def _bounded_int(
    raw: Mapping[str, str | None], key: str, bounds: tuple[int, int], default: int,
    errors: _Errors,
) -> int:
    """An optional integer key within inclusive bounds."""
    value = _decode(raw, key)
    if value is None:
        return default
    allowed = f"allowed: an integer {bounds[0]}-{bounds[1]}"
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(key, f"must be an integer, got {value!r}; {allowed}")
        return default
    if not bounds[0] <= value <= bounds[1]:
        errors.add(key, f"{value} is out of range; {allowed}")
    return value


def _index_retention_days(raw: Mapping[str, str | None], errors: _Errors) -> int:
    return _bounded_int(
        raw, "indexRetentionDays", INDEX_RETENTION_DAYS, DEFAULT_INDEX_RETENTION_DAYS, errors
    )


def _forwarder_concurrency(raw: Mapping[str, str | None], errors: _Errors) -> int:
    return _bounded_int(
        raw, "forwarderConcurrency", FORWARDER_CONCURRENCY, DEFAULT_FORWARDER_CONCURRENCY, errors
    )


def _instance_type(key: str, value: Any, errors: _Errors) -> None:
    if isinstance(value, str) and value in aws_catalog.opensearch_instance_types():
        return
    reason = aws_catalog.refused_instance_reason(str(value))
    families = ", ".join(aws_catalog.instance_families())
    errors.add(
        key,
        f"instance type {value!r} not allowed"
        + (f" ({reason})" if reason else "")
        + f"; allowed: <family>.<size>.search with family one of {families}",
    )


def _existing(
    value: Any, regions: tuple[str, ...], expected: tuple[str, ...], errors: _Errors
) -> dict[str, tuple[str, ...]]:
    key = "existingLogGroups"
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(key, "must be a map of region -> list of log group names")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for region, names in value.items():
        if region not in regions:
            errors.add(key, f"region {region!r} is not in edgelogs:regions {list(regions)}")
            continue
        groups = _string_list(names, f"{key}.{region}", errors, allow_empty=True)
        for name in groups:
            if name not in expected:
                errors.add(
                    f"{key}.{region}",
                    f"{name!r} is not a log group this stack collects; allowed: {list(expected)}",
                )
        out[region] = groups
    return out


def _tags(value: Any, errors: _Errors) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        errors.add("tags", "must be a map of string -> string")
        return {}
    for k, v in value.items():
        if not 1 <= len(k) <= 128 or len(v) > 256 or k.lower().startswith("aws:"):
            errors.add(
                "tags",
                f"invalid tag {k!r}: keys 1-128 chars not starting with 'aws:', values <= 256",
            )
    return dict(value)


def _dashboards(raw: Mapping[str, str | None], errors: _Errors) -> DashboardsSettings:
    """`dashboards` ({auth: cognito|none}) and `dashboardUsers` (invited e-mail addresses)."""
    value = _decode(raw, "dashboards")
    auth = DashboardsSettings.auth
    if value is not None and not isinstance(value, dict):
        errors.add("dashboards", f"must be an object with keys {', '.join(DASHBOARDS_KEYS)}")
    elif value is not None:
        unknown = sorted(set(value) - set(DASHBOARDS_KEYS))
        if unknown:
            allowed = ", ".join(DASHBOARDS_KEYS)
            errors.add("dashboards", f"unknown keys {unknown}; allowed: {allowed}")
        auth = value.get("auth", auth)
        if auth not in DASHBOARDS_AUTH:
            errors.add("dashboards.auth", f"{auth!r} not allowed; allowed: cognito, none")
            auth = DashboardsSettings.auth

    key = "dashboardUsers"
    users_value = _decode(raw, key)
    users = () if users_value is None else _string_list(users_value, key, errors, allow_empty=True)
    for email in users:
        if not _EMAIL.match(email):
            errors.add(key, f"{email!r} is not an email address; allowed: name@example.com")
        elif len(email) > COGNITO_USERNAME_MAX:
            errors.add(key, f"{email!r} is longer than {COGNITO_USERNAME_MAX} characters")
    # Cognito usernames here are case-insensitive: Alice@x.com and alice@x.com are one user.
    folded = [u.casefold() for u in users]
    same = sorted({u for u in users if folded.count(u.casefold()) > 1 and users.count(u) == 1})
    if same:
        errors.add(key, f"{same} differ only in case; Cognito treats them as one user")
    if users and auth != "cognito":
        errors.add(key, "needs edgelogs:dashboards.auth cognito (it is none); remove the users")
    return DashboardsSettings(auth=auth, users=users)
def _function_name(key: str, value: Any, errors: _Errors) -> bool:
    if isinstance(value, str) and _FUNCTION_NAME.match(value):
        return True
    errors.add(
        key,
        f"invalid Lambda function name {value!r}; allowed: 1-64 letters, digits, - or _ "
        "(the plain name as created in us-east-1, not an ARN or alias)",
    )
    return False


def _custom_log_group(key: str, function: str, value: Any, errors: _Errors) -> bool:
    rule = (
        "allowed: 1-512 characters of a-z A-Z 0-9 _ - / . #, not starting with aws/ "
        "(CloudWatch Logs and Lambda's logging configuration)"
    )
    if not isinstance(value, str) or not _LOG_GROUP_NAME.match(value):
        errors.add(key, f"invalid log group name {value!r}; {rule}")
        return False
    if value.startswith("aws/"):
        errors.add(key, f"{value!r} starts with aws/, which Lambda reserves; {rule}")
        return False
    if value == f"/aws/lambda/{function}":
        # Lambda@Edge then writes to /aws/lambda/us-east-1.<function> after all (CloudFront
        # developer guide, "Edge function logs").
        errors.add(
            key,
            f"{value!r} is the default group, which Lambda@Edge renames to "
            f"{naming.edge_log_group_name(function)}; list {function!r} as a plain name",
        )
        return False
    return True


def _edge_functions(value: Any, errors: _Errors) -> tuple[tuple[str, ...], dict[str, str]]:
    """Function names, and function -> custom log group for the {name, logGroup} entries."""
    key = "edgeFunctions"
    shape = (
        "a non-empty list of Lambda@Edge function names, or {name, logGroup} objects for "
        "functions that log to a custom log group"
    )
    if value is None:
        errors.add(key, f"is required: {shape}")
        return (), {}
    if not isinstance(value, list):
        errors.add(key, f"must be {shape}, got {value!r}")
        return (), {}
    if not value:
        errors.add(key, "must not be empty")
    functions: list[str] = []
    custom: dict[str, str] = {}
    for i, entry in enumerate(value):
        if isinstance(entry, str):
            if _function_name(key, entry, errors):
                functions.append(entry)
            continue
        at = f"{key}[{i}]"
        if not isinstance(entry, dict):
            errors.add(at, f"must be a function name or {{name, logGroup}}, got {entry!r}")
            continue
        unknown = sorted(set(entry) - set(EDGE_FUNCTION_KEYS))
        missing = [k for k in EDGE_FUNCTION_KEYS if k not in entry]
        if unknown or missing:
            errors.add(
                at,
                f"unknown keys {unknown}, missing keys {missing}; allowed: "
                f"{', '.join(EDGE_FUNCTION_KEYS)} (both required)",
            )
            continue
        name, group = entry["name"], entry["logGroup"]
        if _function_name(f"{at}.name", name, errors) and _custom_log_group(
            f"{at}.logGroup", name, group, errors
        ):
            functions.append(name)
            custom[name] = group
    dupes = sorted({f for f in functions if functions.count(f) > 1})
    if dupes:
        errors.add(key, f"duplicate entries {dupes}; list each once")
    return tuple(dict.fromkeys(functions)), custom


def _redaction(raw: Mapping[str, str | None], errors: _Errors) -> tuple[str, str]:
    """edgelogs:redact and edgelogs:exclude, checked by the forwarder's own rule
    (contract.redaction_problems), as the JSON its environment gets."""
    redact = _decode(raw, "redact")
    exclude = _decode(raw, "exclude")
    redact = [] if redact is None else redact
    exclude = [] if exclude is None else exclude
    before = len(errors.messages)
    for problem in contract.redaction_problems(redact, exclude, f"{NAMESPACE}:redact",
                                               f"{NAMESPACE}:exclude"):
        errors.messages.append(problem)
    if len(errors.messages) > before:
        return "[]", "[]"
    redact_json = json.dumps(redact, separators=(",", ":"))
    exclude_json = json.dumps(exclude, separators=(",", ":"))
    size = len(redact_json.encode()) + len(exclude_json.encode())
    if size > contract.REDACTION_ENV_MAX_BYTES:
        errors.add("redact", f"redact and exclude take {size} bytes as JSON; at most "
                             f"{contract.REDACTION_ENV_MAX_BYTES} fit in the forwarder's "
                             "environment (Lambda allows 4 KB in all)")
    return redact_json, exclude_json


def _destinations(value: Any, errors: _Errors) -> tuple[dict[str, Any], ...]:
    """`destinations`: a non-empty list of opensearch | http | syslog entries, checked by the
    forwarder's own rule (contract.destination_problems), defaults filled in."""
    key = "destinations"
    if value is None:
        return ({"type": contract.DEST_OPENSEARCH},)
    if not isinstance(value, list) or not value:
        errors.add(key, "must be a non-empty list of {type: opensearch|http|syslog, ...}")
        return ({"type": contract.DEST_OPENSEARCH},)
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(value):
        problems = contract.destination_problems(entry)
        for name, message in problems:
            errors.add(f"{key}[{i}]{'.' + name if name else ''}", message)
        if problems:
            continue
        entry = dict(entry)
        if entry["type"] == contract.DEST_HTTP:
            entry.setdefault("format", contract.DEFAULT_HTTP_FORMAT)
        elif entry["type"] == contract.DEST_SYSLOG:
            entry.setdefault("tls", contract.DEFAULT_SYSLOG_TLS)
        if entry in out:
            errors.add(f"{key}[{i}]", f"the same destination twice: {entry}")
        out.append(entry)
    if sum(d["type"] == contract.DEST_OPENSEARCH for d in out) > 1:
        errors.add(key, "at most one opensearch entry (the stack has one domain)")
    return tuple(out)


def _coverage_check(value: Any, errors: _Errors) -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        errors.add("coverageCheck", f"must be true or false, got {value!r}")
        return True
    return value


def parse_config(
    raw: Mapping[str, str | None], *, stack: str, aws_region: str | None = None
) -> EdgelogsConfig:
    """Validate raw config strings (keys without the namespace) into an EdgelogsConfig."""
    errors = _Errors()
    for key in sorted(set(raw) - set(KEYS)):
        errors.add(key, f"unknown key; allowed: {', '.join(KEYS)}")

    home = _decode(raw, "homeRegion") or aws_region or "us-east-1"
    partitions = aws_catalog.region_partitions()
    if not isinstance(home, str):
        errors.add("homeRegion", f"must be a region name, got {home!r}")
        home = "us-east-1"
    elif home not in partitions:
        errors.add(
            "homeRegion", f"unknown region {home!r}; allowed: {', '.join(sorted(partitions))}"
        )

    regions_value = _decode(raw, "regions")
    regions = (
        DEFAULT_REGIONS if regions_value is None else _regions(regions_value, "regions", errors)
    )
    mixed = {partitions.get(r) for r in (*regions, home) if r in partitions}
    if len(mixed) > 1:
        errors.add("regions", f"all regions and homeRegion must be in one partition, got {mixed}")

    functions, custom_groups = _edge_functions(_decode(raw, "edgeFunctions"), errors)

    retention = _decode(raw, "logRetentionDays")
    retention = 30 if retention is None else _int(retention, "logRetentionDays", errors)
    if retention is not None and retention not in aws_catalog.LOG_RETENTION_DAYS:
        errors.add(
            "logRetentionDays",
            f"{retention} is not a CloudWatch Logs retention; allowed: "
            f"{', '.join(map(str, aws_catalog.LOG_RETENTION_DAYS))}",
        )

    pattern = raw.get("filterPattern") or ""
    if len(pattern) > FILTER_PATTERN_MAX:
        errors.add("filterPattern", f"must be at most {FILTER_PATTERN_MAX} characters")

    index_prefix = _index_prefix(raw.get("indexPrefix", DEFAULT_INDEX_PREFIX), errors)
    domain = _domain(_decode(raw, "domain"), errors)

    principals = _optional_list_matching(
        raw, "adminPrincipals", _PRINCIPAL_ARN, errors,
        "is not an IAM principal ARN; allowed: arn:<partition>:iam::<12 digits>:"
        "root|user/<name>|role/<name> (never '*')",
    )  # fmt: skip
    operators = _optional_list_matching(
        raw, "operatorPrincipals", _PRINCIPAL_ARN, errors,
        "is not an IAM principal ARN; allowed: arn:<partition>:iam::<12 digits>:"
        "root|user/<name>|role/<name> (never '*')",
    )  # fmt: skip
    distributions = _optional_list_matching(
        raw, "distributionIds", _DISTRIBUTION_ID, errors,
        "is not a CloudFront distribution id; allowed: uppercase letters and digits, "
        "e.g. E2QWRUHAPOMQZL",
    )  # fmt: skip

    email = raw.get("alarmEmail") or None
    if email is not None and not _EMAIL.match(email):
        errors.add("alarmEmail", f"{email!r} is not an email address; allowed: name@example.com")

    expected = naming.collected_log_groups(functions, distributions, custom_groups)
    existing = _existing(_decode(raw, "existingLogGroups"), regions, expected, errors)
    tags = _tags(_decode(raw, "tags"), errors)
    dashboards = _dashboards(raw, errors)
    coverage_check = _coverage_check(_decode(raw, "coverageCheck"), errors)
    index_retention_days = _index_retention_days(raw, errors)
    forwarder_concurrency = _forwarder_concurrency(raw, errors)
    redact_json, exclude_json = _redaction(raw, errors)
    destinations = _destinations(_decode(raw, "destinations"), errors)

    if errors.messages:
        raise ConfigError("invalid stack configuration:\n  " + "\n  ".join(errors.messages))
    return EdgelogsConfig(
        stack=stack,
        home_region=home,
        regions=regions,
        edge_functions=functions,
        log_retention_days=retention or 30,
        filter_pattern=pattern,
        index_prefix=index_prefix,
        domain=domain,
        admin_principals=principals,
        operator_principals=operators,
        existing_log_groups=existing,
        distribution_ids=distributions,
        alarm_email=email,
        tags=tags,
        dashboards=dashboards,
        custom_log_groups=custom_groups,
        coverage_check=coverage_check,
        index_retention_days=index_retention_days,
        forwarder_concurrency=forwarder_concurrency,
        redact_json=redact_json,
        exclude_json=exclude_json,
        destinations=destinations,
    )


def _raw_namespace_keys() -> dict[str, str | None]:
    """Every `edgelogs:*` key set on the stack, so that a misspelt key is an error."""
    from pulumi.runtime.config import CONFIG, get_config_env

    every = {**get_config_env(), **CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in every.items() if k.startswith(prefix)}


def load_config() -> EdgelogsConfig:
    raw = _raw_namespace_keys()
    return parse_config(
        raw, stack=pulumi.get_stack(), aws_region=pulumi.Config("aws").get("region")
    )
