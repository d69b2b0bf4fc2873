"""Every value the deploy side hands the functions in lambda_src, defined once.

Data only, standard library only: the Pulumi program (components/) imports this module and
nothing else from lambda_src, and each function's bundle ships it beside its own package.
A value here is a contract between the two sides; tests/deploy/test_deploy_contract.py
checks that the forwarder reads exactly what the program gives it.
"""

from __future__ import annotations

import math
import re
from typing import Final

# --- Environment variables of the forwarder (set by components/regional_forwarder.py) -----
ENV_ENDPOINT: Final = "OPENSEARCH_ENDPOINT"
ENV_DOMAIN_REGION: Final = "OPENSEARCH_REGION"  # the region every request is signed for
ENV_SERVICE: Final = "OPENSEARCH_SERVICE"
ENV_INDEX_PREFIX: Final = "INDEX_PREFIX"
ENV_BULK_MAX_BYTES: Final = "BULK_MAX_BYTES"
ENV_BULK_MAX_DOCS: Final = "BULK_MAX_DOCS"
ENV_BULK_CONCURRENCY: Final = "BULK_CONCURRENCY"
ENV_SAFETY_MARGIN_MS: Final = "SAFETY_MARGIN_MS"
ENV_REQUEST_TIMEOUT_MS: Final = "REQUEST_TIMEOUT_MS"

# --- Environment variables of the daily coverage check (components/coverage_check.py) -----
ENV_STACK_NAME: Final = "STACK_NAME"
ENV_METRIC_NAMESPACE: Final = "METRIC_NAMESPACE"
ENV_COLLECTED_REGIONS: Final = "COLLECTED_REGIONS"  # comma-separated
ENV_COLLECTED_LOG_GROUPS: Final = "COLLECTED_LOG_GROUPS"  # a JSON list of names

# --- The coverage check's metric (published by edge_coverage, alarmed on by the program) ---
METRIC_NAMESPACE: Final = "edgelogs"  # the default of ENV_METRIC_NAMESPACE
COVERAGE_METRIC_NAME: Final = "UncoveredLogGroups"
COVERAGE_METRIC_DIMENSION: Final = "Stack"  # its value: the stack name

# --- SigV4 service names of OpenSearch ------------------------------------------------------
SERVICES: Final = ("es", "aoss")  # managed domains, Serverless
DEFAULT_SERVICE: Final = "es"

# --- Index names ---------------------------------------------------------------------------
# The prefix names indices, index templates and the ISM policy: a subset of OpenSearch's index
# name rules (lowercase, no \ / * ? " < > | space , # :, not starting with - _ + .) that is
# safe in all three and in an IAM resource path. "<prefix>-errors-YYYY.MM.DD" must still fit
# in 255 bytes, hence the 200 limit.
DEFAULT_INDEX_PREFIX: Final = "lambda-edge"
INDEX_PREFIX_MAX: Final = 200
INDEX_PREFIX_RE: Final = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{INDEX_PREFIX_MAX - 1}}}")
INDEX_PREFIX_RULE: Final = (
    f"1-{INDEX_PREFIX_MAX} characters of a-z 0-9 . _ -, starting with a letter or digit"
)
ERRORS_SUFFIX: Final = "-errors"  # <prefix>-errors-YYYY.MM.DD: events not stored as documents
RETENTION_POLICY_SUFFIX: Final = "-retention"  # the ISM policy <prefix>-retention

# --- Index retention (days ISM keeps an index) ----------------------------------------------
# Ten years is far beyond what a log domain keeps; the bound only catches a typo.
DEFAULT_INDEX_RETENTION_DAYS: Final = 14
INDEX_RETENTION_DAYS: Final = (1, 3650)

# --- Shards of a daily log index (edgelogs:domain.expectedDailyGb) -------------------------
# AWS: "try to keep shard size between 10-30 GiB for workloads where search latency is a key
# performance objective, and 30-50 GiB for write-heavy workloads such as log analytics";
# 30 GB keeps a shard quick to search and to recover, and lets a day's writes use as many
# data nodes as it has shards.
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp-sharding.html
SHARD_MAX_GB: Final = 30
DEFAULT_EXPECTED_DAILY_GB: Final = 1
MAX_INDEX_SHARDS: Final = 1024  # OpenSearch's own limit on index.number_of_shards
# A number of GB (> 0, fractions allowed) up to this: 1,000 shards a day, far past any
# domain this stack builds; the bound only catches a typo.
EXPECTED_DAILY_GB_MAX: Final = 30_000


def index_shards(expected_daily_gb: float) -> int:
    """Primary shards of a daily log index: as few as keep each at most SHARD_MAX_GB."""
    return max(1, math.ceil(expected_daily_gb / SHARD_MAX_GB))


def index_replicas(instance_count: int) -> int:
    """One replica as soon as a second data node can hold it; none on one node (a replica
    is never assigned to its primary's node, so the index would stay yellow)."""
    return 1 if instance_count >= 2 else 0


# --- Log groups the stack collects -----------------------------------------------------------
# Lambda@Edge replicas log to /aws/lambda/us-east-1.<function> in the region that served the
# request; CloudFront writes Lambda@Edge errors to /aws/cloudfront/LambdaEdge/<distribution id>.
EDGE_LOG_GROUP_PREFIX: Final = "/aws/lambda/us-east-1."
DISTRIBUTION_LOG_GROUP_PREFIX: Final = "/aws/cloudfront/LambdaEdge/"
EDGE_LOG_GROUP_PREFIXES: Final = (EDGE_LOG_GROUP_PREFIX, DISTRIBUTION_LOG_GROUP_PREFIX)


def errors_prefix(index_prefix: str) -> str:
    """Names the errors indices (``<this>-YYYY.MM.DD``) and their template."""
    return f"{index_prefix}{ERRORS_SUFFIX}"


def retention_policy_id(index_prefix: str) -> str:
    """The ISM policy that deletes this prefix's indices."""
    return f"{index_prefix}{RETENTION_POLICY_SUFFIX}"


# --- Redaction and exclusion (edgelogs:redact, edgelogs:exclude) ----------------------------
# The program checks the patterns at preview (components/config.py) and hands them over as
# JSON; the forwarder checks them again when it reads its environment (forwarder/settings.py)
# with the same function, so a value one side accepts the other cannot refuse.
ENV_REDACT: Final = "REDACT"  # JSON list: built-in names and {"pattern", "replacement"}
ENV_EXCLUDE: Final = "EXCLUDE"  # JSON list of regular expressions
REDACTED: Final = "[REDACTED]"  # the default replacement, and every built-in's
# The forwarder's summary line carries ExcludedEvents as an embedded metric (handler.py).
FORWARDER_METRIC_NAMESPACE: Final = "edgelogs"
FORWARDER_METRIC_DIMENSION: Final = "FunctionName"
EXCLUDED_METRIC: Final = "ExcludedEvents"

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_CORE = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_HEX = r"[0-9A-Fa-f]{1,4}"
# Every IPv6 text form (RFC 4291 2.2, RFC 5952): full, "::"-compressed, with a dotted IPv4
# tail, with a zone (%eth0). Alternatives that stop early are undone by the end boundary.
_IPV6_CORE = (
    "(?:"
    rf"(?:{_HEX}:){{7}}{_HEX}"
    rf"|(?:{_HEX}:){{1,5}}(?::{_HEX}){{1,2}}"
    rf"|(?:{_HEX}:){{1,4}}(?::{_HEX}){{1,3}}"
    rf"|(?:{_HEX}:){{1,3}}(?::{_HEX}){{1,4}}"
    rf"|(?:{_HEX}:){{1,2}}(?::{_HEX}){{1,5}}"
    rf"|{_HEX}:(?::{_HEX}){{1,6}}"
    rf"|(?:{_HEX}:){{1,6}}:{_HEX}"
    rf"|(?:{_HEX}:){{6}}{_IPV4_CORE}"
    rf"|(?:{_HEX}:){{1,5}}:(?:{_HEX}:){{0,4}}{_IPV4_CORE}"
    rf"|::(?:{_HEX}:){{0,5}}{_IPV4_CORE}"
    rf"|:(?::{_HEX}){{1,7}}"
    rf"|(?:{_HEX}:){{1,7}}:"
    ")(?:%[0-9A-Za-z._-]+)?"
)
# base64url, as JWS/JWE segments are written (RFC 7515 3.1, RFC 7516 3.1).
_B64URL = "[A-Za-z0-9_-]"

# Built-in redactions: name -> pattern. Each is anchored on what surrounds it so that it never
# takes part of a longer token: an IPv4 address is four dotted numbers 0-255 that are not part
# of a longer dotted number (so "Duration: 12.34 ms" stays; a four-part version "1.2.3.4" IS
# redacted: it cannot be told from an address); an IPv6 address needs "::" or eight groups
# and never follows a letter (so "12:34:56", a UUID request id and "std::vector" stay); an
# e-mail address's domain ends in a label that starts with a letter (so "pkg@1.2.3" stays),
# and its local part never holds "=" (RFC 5322 allows it, logs write key=value: in
# "user=bob@example.com" the address is "bob@example.com");
# "bearer" is the credentials after an "Authorization: Bearer" scheme word (written Bearer,
# bearer or BEARER) and any bare JWT (a base64url header starting eyJ, i.e. '{"', and two or
# four more segments); "card" is 13-19 digits (single spaces or dashes allowed) starting with
# 2-6 that pass the Luhn check (the forwarder checks it).
BUILTIN_PATTERNS: Final[dict[str, str]] = {
    "ipv4": rf"(?<![0-9])(?<![0-9]\.){_IPV4_CORE}(?!\.?[0-9])",
    "ipv6": rf"(?<![0-9A-Za-z_:.]){_IPV6_CORE}(?![0-9A-Za-z_:]|\.[0-9])",
    "email": (
        r"(?<![A-Za-z0-9.!#$%&'*+/?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/?^_`{|}~-]++"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
        r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?![A-Za-z0-9-])"
    ),
    "bearer": (
        r"(?P<scheme>(?<![A-Za-z])(?:Bearer|bearer|BEARER)[ \t]+)[A-Za-z0-9._~+/-]+=*"
        rf"|(?<!{_B64URL})eyJ{_B64URL}+(?:\.{_B64URL}*){{2,4}}"
    ),
    "card": r"(?<![0-9A-Za-z_-])[2-6][0-9](?:[ -]?[0-9]){11,17}(?![0-9A-Za-z_]|-[0-9])",
}
# What each built-in puts in place of a match (a re.sub template).
BUILTIN_REPLACEMENTS: Final[dict[str, str]] = {
    "ipv4": REDACTED,
    "ipv6": REDACTED,
    "email": REDACTED,
    "bearer": r"\g<scheme>" + REDACTED,  # "Bearer [REDACTED]": the scheme word stays
    "card": REDACTED,
}
BUILTINS: Final = tuple(BUILTIN_PATTERNS)
REDACT_FIELDS: Final = ("pattern", "replacement")
# REDACT and EXCLUDE share the function's 4 KB of environment variables with the others
# ("Function environment variables: 4 KB",
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): together they
# may take 3 KB of it.
REDACTION_ENV_MAX_BYTES: Final = 3072

# Platform lines that exclusion keeps unless a pattern names them (see names_platform_lines):
# the text lines and their JSON-format records.
PLATFORM_LINES: Final = ("START", "END", "REPORT")
PLATFORM_RECORDS: Final[dict[str, str]] = {
    "platform.start": "START", "platform.runtimeDone": "END", "platform.report": "REPORT",
}
# A pattern names a platform line when it holds the word itself (START, END, REPORT, any
# case) or the JSON record's name (runtimeDone for END), not inside a longer word: "^END "
# and "(START|END)" name them, "BACKEND" and "^PENDING" do not.
_NAMES_LINE: Final = re.compile(
    r"(?<![A-Za-z])(start|end|report|runtimedone)(?![A-Za-z])", re.IGNORECASE
)
_NAME_OF = {"start": "START", "end": "END", "report": "REPORT", "runtimedone": "END"}

# "Matches everything": a pattern that finds a match in the empty string AND in every one of
# these texts. They share nothing (no common character, word or shape), so only a pattern
# that can match without consuming anything in particular matches all of them: ".*", "^",
# "(?:)", ".?", "$", "x*".
EVERYTHING_PROBES: Final = (
    "", "x", "0", " ", "\n", "START RequestId: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    '{"level":"INFO","msg":"ok"}', "ÄÖÜ ✓ 日本", "\t\t", "a" * 300,
)


def pattern_problem(pattern: object, *, redact: bool) -> str | None:
    """Why ``pattern`` cannot be used (a sentence), or None. The one check both sides run.

    Refused: a non-string, an empty pattern, one Python's ``re`` cannot compile, one that
    matches everything (EVERYTHING_PROBES). A redaction pattern must also never match an
    empty string in any probe: such a match hides nothing and inserts the replacement
    between characters.
    """
    if not isinstance(pattern, str):
        return f"must be a regular expression (a string), got {pattern!r}"
    if not pattern:
        return "is empty; an empty pattern matches every message"
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"{pattern!r} is not a valid regular expression ({exc})"
    if all(compiled.search(probe) for probe in EVERYTHING_PROBES):
        return f"{pattern!r} matches everything (even an empty message)"
    if redact and any(m.end() == m.start() for probe in EVERYTHING_PROBES
                      for m in compiled.finditer(probe)):
        return (f"{pattern!r} can match an empty string: it would insert the replacement "
                "instead of hiding anything")
    return None


_GLOBAL_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")


def replacement_problem(pattern: str, replacement: object) -> str | None:
    """Why ``replacement`` cannot replace ``pattern``'s matches, or None.

    It must be a string that is a valid re.sub template for the pattern (no reference to a
    group the pattern lacks), and must not itself match the pattern: otherwise the
    redacted text would still hold what the pattern describes.
    """
    if not isinstance(replacement, str):
        return f"replacement must be a string, got {replacement!r}"
    compiled = re.compile(pattern)
    # A pattern matching the empty string (refused above) would make this always succeed;
    # "(?:...)|" gives a match object to expand the template against: unmatched groups
    # expand to "", unknown groups raise.
    lead = _GLOBAL_FLAGS.match(pattern)
    head = lead.group(0) if lead else ""
    probe = re.compile(f"{head}(?:{pattern[len(head):]})|").match("")
    try:
        expanded = probe.expand(replacement) if probe else replacement
    except (re.error, IndexError) as exc:
        return f"replacement {replacement!r} is not a valid template for the pattern ({exc})"
    if compiled.search(expanded):
        return (f"replacement {replacement!r} matches its own pattern, so the redacted text "
                "would still match it; e.g. use [REDACTED]")
    return None


def names_platform_lines(pattern: str) -> frozenset[str]:
    """The platform lines (START, END, REPORT) an exclude pattern names, and may drop."""
    return frozenset(_NAME_OF[m.group(1).lower()] for m in _NAMES_LINE.finditer(pattern))


def redact_rule_problem(rule: object) -> str | None:
    """Why one ``redact`` entry is not usable (a sentence), or None."""
    if isinstance(rule, str):
        if rule in BUILTIN_PATTERNS:
            return None
        return (f"{rule!r} is not a built-in; allowed: {', '.join(BUILTINS)}, or "
                "{pattern, replacement}")
    if not isinstance(rule, dict):
        return (f"must be a built-in name ({', '.join(BUILTINS)}) or an object "
                f"{{pattern, replacement}}, got {rule!r}")
    unknown = sorted(set(rule) - set(REDACT_FIELDS))
    if unknown:
        return f"unknown field(s) {unknown}; allowed: {', '.join(REDACT_FIELDS)}"
    if "pattern" not in rule:
        return "pattern is required"
    problem = pattern_problem(rule["pattern"], redact=True)
    if problem:
        return f"pattern {problem}"
    return replacement_problem(rule["pattern"], rule.get("replacement", REDACTED))


def redaction_problems(redact: object, exclude: object, redact_key: str,
                       exclude_key: str) -> list[str]:
    """One sentence per bad value of ``redact`` / ``exclude``, each naming its key and entry
    (e.g. ``edgelogs:exclude[1]: '.*' matches everything``). Both lists may be empty."""
    out = []
    if not isinstance(redact, list):
        out.append(f"{redact_key} must be a list, got {redact!r}")
    else:
        for i, rule in enumerate(redact):
            problem = redact_rule_problem(rule)
            if problem:
                out.append(f"{redact_key}[{i}]: {problem}")
    if not isinstance(exclude, list):
        out.append(f"{exclude_key} must be a list of regular expressions, got {exclude!r}")
    else:
        for i, pattern in enumerate(exclude):
            problem = pattern_problem(pattern, redact=False)
            if problem:
                out.append(f"{exclude_key}[{i}]: {problem}")
    return out

# --- Input of the domain setup function (components/domain_setup.py -> lambda_src/domain_setup)
# The stack invokes it with one JSON object holding these keys; a changed value re-invokes it.
SETUP_ENDPOINT: Final = "endpoint"  # https URL of the domain
SETUP_REGION: Final = "region"  # the domain's region: what requests are signed for
SETUP_INDEX_PREFIX: Final = "indexPrefix"
SETUP_RETENTION_DAYS: Final = "indexRetentionDays"
SETUP_PRINCIPALS: Final = "principals"  # role key -> IAM ARNs mapped to that role
# Primary shards and replicas of a daily log index (index_shards / index_replicas above).
SETUP_SHARDS: Final = "indexShards"
SETUP_REPLICAS: Final = "indexReplicas"
SETUP_CODE_HASH: Final = "codeHash"  # the function's code: new roles or templates re-run it
# The roles the setup installs (lambda_src/domain_setup/roles.py), by key.
ROLE_WRITER: Final = "writer"  # the forwarders
ROLE_OPERATOR: Final = "operator"  # replay and backfill
ROLE_READER: Final = "reader"  # adminPrincipals and signed-in Dashboards users
ROLE_KEYS: Final = (ROLE_WRITER, ROLE_OPERATOR, ROLE_READER)

# --- Destinations (edgelogs:destinations) --------------------------------------------------
# The stack's domain is a destination like the others: the forwarder sends to it when
# OPENSEARCH_ENDPOINT is set. Every other destination reaches the forwarder in one JSON list,
# DESTINATIONS, of the entries below with only their own fields. It holds no secret: an HTTP
# destination's headers stay in Secrets Manager and only their secret's ARN is listed.
ENV_DESTINATIONS: Final = "DESTINATIONS"
DEST_OPENSEARCH: Final = "opensearch"
DEST_HTTP: Final = "http"
DEST_SYSLOG: Final = "syslog"
DESTINATION_TYPES: Final = (DEST_OPENSEARCH, DEST_HTTP, DEST_SYSLOG)
DESTINATION_FIELDS: Final = {
    DEST_OPENSEARCH: ("type",),
    DEST_HTTP: ("type", "url", "format", "headersSecret"),
    DEST_SYSLOG: ("type", "host", "port", "tls"),
}
HTTP_FORMATS: Final = ("ndjson",)
DEFAULT_HTTP_FORMAT: Final = "ndjson"
DEFAULT_SYSLOG_TLS: Final = True
PORT_RANGE: Final = (1, 65535)
# A Secrets Manager secret's ARN (complete, with AWS's 6-character suffix, or partial).
SECRET_ARN_RE: Final = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z]{2,}(?:-[a-z]+)+-\d+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
)
# Hosts: a DNS name or an IPv4/IPv6 literal, nothing that could smuggle a path or a port.
HOST_RE: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[?[0-9A-Fa-f:.]+\]?")
_LOOPBACK_HTTP_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]")


def destination_problems(entry: object) -> list[tuple[str, str]]:
    """What is wrong with one ``destinations`` entry, as (field, message) pairs; [] if valid.

    The one rule both sides apply: the stack refuses at preview exactly the entries the
    forwarder would refuse at cold start.
    """
    if not isinstance(entry, dict):
        return [("", f"must be an object with a 'type', got {entry!r}")]
    kind = entry.get("type")
    if kind not in DESTINATION_TYPES:
        return [("type", f"unknown type {kind!r}; allowed: {', '.join(DESTINATION_TYPES)}")]
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(entry) - set(DESTINATION_FIELDS[kind]))
    if unknown:
        problems.append(("", f"unknown fields {unknown} for type {kind}; allowed: "
                             f"{', '.join(DESTINATION_FIELDS[kind])}"))
    if kind == DEST_HTTP:
        url = entry.get("url")
        if not isinstance(url, str) or not url:
            problems.append(("url", "is required (an https:// URL)"))
        elif not (_https_url(url) or _loopback_http_url(url)):
            problems.append(("url", f"must be an https:// URL (plain http only to 127.0.0.1), "
                                    f"got {url!r}"))
        fmt = entry.get("format", DEFAULT_HTTP_FORMAT)
        if fmt not in HTTP_FORMATS:
            problems.append(("format", f"{fmt!r} not allowed; allowed: {', '.join(HTTP_FORMATS)}"))
        secret = entry.get("headersSecret")
        if secret is not None and not (isinstance(secret, str) and SECRET_ARN_RE.fullmatch(secret)):
            problems.append(("headersSecret", f"must be a Secrets Manager secret ARN "
                                              f"(arn:aws:secretsmanager:...:secret:...), got "
                                              f"{secret!r}"))
    elif kind == DEST_SYSLOG:
        host = entry.get("host")
        if not isinstance(host, str) or not host:
            problems.append(("host", "is required (a DNS name or an IP address)"))
        elif not HOST_RE.fullmatch(host):
            problems.append(("host", f"is not a host name or IP address: {host!r}"))
        port = entry.get("port")
        low, high = PORT_RANGE
        if type(port) is not int or not low <= port <= high:
            problems.append(("port", f"must be a whole number from {low} to {high}, got {port!r}"))
        tls = entry.get("tls", DEFAULT_SYSLOG_TLS)
        if not isinstance(tls, bool):
            problems.append(("tls", f"must be true or false, got {tls!r}"))
    return problems


def _https_url(url: str) -> bool:
    return re.fullmatch(r"https://[^/\s?#@]+(?:[/?][^\s#]*)?", url) is not None


def _loopback_http_url(url: str) -> bool:
    m = re.fullmatch(r"http://([^/\s?#@:]+|\[::1\])(?::\d{1,5})?(?:[/?][^\s#]*)?", url)
    return m is not None and m.group(1) in _LOOPBACK_HTTP_HOSTS
