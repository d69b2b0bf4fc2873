"""The forwarder's configuration, read once from the environment and validated."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from forwarder.errors import SettingsError

DEFAULT_INDEX_PREFIX = "lambda-edge"
DEFAULT_BULK_MAX_BYTES = 5 * 1024 * 1024
# CloudWatch Logs never sends more than 10,000 events in one batch, so by default the
# byte limit alone decides how many bulk requests a batch needs.
DEFAULT_BULK_MAX_DOCS = 10_000
DEFAULT_SAFETY_MARGIN_S = 3.0
DEFAULT_REQUEST_TIMEOUT_S = 30.0

SERVICES = ("es", "aoss")
# Index names: lowercase, no spaces or \/*?"<>|,#: and not starting with -_+ .
# The prefix is also used as the index template's name, so the same rules apply.
_PREFIX_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}")
_LOOPBACK_NAMES = ("localhost",)


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
    bulk_max_bytes: int = DEFAULT_BULK_MAX_BYTES
    bulk_max_docs: int = DEFAULT_BULK_MAX_DOCS
    # Time kept back from the Lambda deadline to log and return cleanly.
    safety_margin_s: float = DEFAULT_SAFETY_MARGIN_S
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S

    @property
    def signed(self) -> bool:
        """Requests are SigV4-signed unless the endpoint is plain http on loopback.

        That is the only way to turn signing off, so an https or AWS endpoint is never
        silently sent unsigned requests.
        """
        return not is_loopback_http(self.endpoint)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        endpoint = _required(env, "OPENSEARCH_ENDPOINT").rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise SettingsError(
                f"OPENSEARCH_ENDPOINT must be an https:// URL, got {endpoint!r}"
            )
        if parts.scheme == "http" and not is_loopback_http(endpoint):
            raise SettingsError(
                "OPENSEARCH_ENDPOINT must use https:// (plain http is only accepted for a "
                f"node on 127.0.0.1/localhost), got {endpoint!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise SettingsError(
                f"OPENSEARCH_ENDPOINT must be scheme://host[:port] only, got {endpoint!r}"
            )

        service = env.get("OPENSEARCH_SERVICE", "es").strip() or "es"
        if service not in SERVICES:
            raise SettingsError(
                f"OPENSEARCH_SERVICE must be one of {', '.join(SERVICES)}, got {service!r}"
            )

        prefix = env.get("INDEX_PREFIX", DEFAULT_INDEX_PREFIX).strip() or DEFAULT_INDEX_PREFIX
        if not _PREFIX_RE.fullmatch(prefix):
            raise SettingsError(
                "INDEX_PREFIX must be lowercase letters, digits, '.', '_' or '-', starting "
                f"with a letter or digit, at most 200 characters; got {prefix!r}"
            )

        region = _required(env, "AWS_REGION")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            raise SettingsError(f"AWS_REGION is not a region name: {region!r}")

        return cls(
            endpoint=endpoint,
            service=service,
            index_prefix=prefix,
            region=region,
            bulk_max_bytes=_int(env, "BULK_MAX_BYTES", DEFAULT_BULK_MAX_BYTES, 16 * 1024,
                                100 * 1024 * 1024),
            bulk_max_docs=_int(env, "BULK_MAX_DOCS", DEFAULT_BULK_MAX_DOCS, 1, 100_000),
            safety_margin_s=_int(env, "SAFETY_MARGIN_MS", int(DEFAULT_SAFETY_MARGIN_S * 1000),
                                 0, 60_000) / 1000,
            request_timeout_s=_int(env, "REQUEST_TIMEOUT_MS",
                                   int(DEFAULT_REQUEST_TIMEOUT_S * 1000), 100, 900_000) / 1000,
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
