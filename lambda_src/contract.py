"""Every value the deploy side hands the functions in lambda_src, defined once.

Data only, standard library only: the Pulumi program (components/) imports this module and
nothing else from lambda_src, and each function's bundle ships it beside its own package.
A value here is a contract between the two sides; tests/deploy/test_deploy_contract.py
checks that the forwarder reads exactly what the program gives it.
"""

from __future__ import annotations

import re
from typing import Final

# --- Environment variables of the forwarder (set by components/regional_forwarder.py) -----
ENV_ENDPOINT: Final = "OPENSEARCH_ENDPOINT"
ENV_DOMAIN_REGION: Final = "OPENSEARCH_REGION"  # the region every request is signed for
ENV_SERVICE: Final = "OPENSEARCH_SERVICE"
ENV_INDEX_PREFIX: Final = "INDEX_PREFIX"
ENV_INDEX_RETENTION_DAYS: Final = "INDEX_RETENTION_DAYS"
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
