"""What AWS accepts, in one place: regions, log retention, OpenSearch versions and instances.

Whatever botocore (pinned in requirements.txt) knows is read from botocore, so a botocore
upgrade brings new regions and instance types with it. What botocore does not model
(engine versions, instance families newer than its enum, retention values) is a reviewed
list here, with its source beside it.
"""

from __future__ import annotations

import re
from functools import cache

import botocore.model
import botocore.session

# CloudWatch Logs PutRetentionPolicy `retentionInDays`: botocore's logs model documents the
# allowed values only in prose (shape `Days`), so they are copied here; a test checks this
# list against that prose so a botocore upgrade that adds a value is noticed.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# OpenSearch Service engine versions. botocore only has a pattern for VersionString
# (`OpenSearch_X.Y`), not a list. Source: the service's ListVersions output and the
# "Supported versions" / "Features by engine version" pages of the OpenSearch Service
# developer guide, reviewed 2026-11. Elasticsearch_* versions are left out on purpose: the
# forwarder relies on OpenSearch composable index templates and the OpenSearch bulk API.
OPENSEARCH_ENGINE_VERSIONS: tuple[str, ...] = (
    "OpenSearch_1.0", "OpenSearch_1.1", "OpenSearch_1.2", "OpenSearch_1.3",
    "OpenSearch_2.3", "OpenSearch_2.5", "OpenSearch_2.7", "OpenSearch_2.9",
    "OpenSearch_2.11", "OpenSearch_2.13", "OpenSearch_2.15", "OpenSearch_2.17",
    "OpenSearch_2.19", "OpenSearch_3.1", "OpenSearch_3.3",
)  # fmt: skip
DEFAULT_ENGINE_VERSION = "OpenSearch_2.19"  # newest 2.x: the forwarder is tested against 2.x

# The log index template maps a JSON message as `flat_object` (OpenSearch 2.7+,
# https://docs.opensearch.org/latest/mappings/supported-field-types/flat-object) and parses
# @timestamp with the `rfc3339_lenient` date format, added in OpenSearch 2.12 (the fast RFC 3339
# parser: bench/mapping_bench.py measured it). OpenSearch Service offers 2.11 and then 2.13, so
# 2.13 is the oldest domain that accepts the template; an older one would refuse it, and with it
# every write.
MIN_ENGINE_VERSION = "OpenSearch_2.13"


def engine_version_key(version: str) -> tuple[int, ...]:
    """"OpenSearch_2.11" -> (2, 11): versions compare as numbers, not as text."""
    return tuple(int(part) for part in version.split("_", 1)[1].split("."))


def allowed_engine_versions() -> tuple[str, ...]:
    """The known versions this program accepts: those with `flat_object`."""
    floor = engine_version_key(MIN_ENGINE_VERSION)
    return tuple(v for v in OPENSEARCH_ENGINE_VERSIONS if engine_version_key(v) >= floor)

# Instance families the service accepts that botocore's OpenSearchPartitionInstanceType enum
# (frozen since 2022) does not list. Source: "Supported instance types in Amazon OpenSearch
# Service" (developer guide) and the service's What's New posts, reviewed 2026-11. Which
# sizes a family has, and in which region, the service checks at deploy time.
_EXTRA_FAMILIES: tuple[str, ...] = (
    "c7g", "m7g", "r7g", "r7gd", "im4gn", "or2", "om2", "i4g", "i4i", "i8g",
)  # fmt: skip
_SIZES: tuple[str, ...] = (
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
)  # fmt: skip

# Families refused even though the service knows them: t2 cannot encrypt data at rest (the
# domain requires it) and UltraWarm nodes cannot be data nodes.
_REFUSED_FAMILIES = ("t2", "ultrawarm1")
DEFAULT_INSTANCE_TYPE = "t3.small.search"  # the cheapest type that supports encryption at rest


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _opensearch_model() -> botocore.model.ServiceModel:
    return _session().get_service_model("opensearch")


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


@cache
def opensearch_instance_types() -> frozenset[str]:
    """Data-node instance types this program accepts."""
    from_botocore = set(_opensearch_model().shape_for("OpenSearchPartitionInstanceType").enum)
    extra = {f"{family}.{size}.search" for family in _EXTRA_FAMILIES for size in _SIZES}
    return frozenset(
        t for t in from_botocore | extra if _family(t) not in _REFUSED_FAMILIES
    )


def refused_instance_reason(instance_type: str) -> str | None:
    family = _family(instance_type)
    if family == "t2":
        return "t2 instances cannot encrypt data at rest, which this domain requires"
    if family == "ultrawarm1":
        return "UltraWarm instances cannot be data nodes"
    return None


# "Maximum number of data nodes per cluster": 10 for T2 and T3 instance types, 80 for the
# others by default (Amazon OpenSearch Service quotas, "Domain and instance quotas":
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html). The 80
# can be raised on request; config.py keeps to the default, the quota a new account has.
MAX_DATA_NODES = 80
MAX_DATA_NODES_BURSTABLE = 10
_BURSTABLE_FAMILIES = ("t2", "t3")


def max_data_nodes(instance_type: str) -> int:
    """How many data nodes of this type one domain may have."""
    return (MAX_DATA_NODES_BURSTABLE if _family(instance_type) in _BURSTABLE_FAMILIES
            else MAX_DATA_NODES)


def instance_families() -> list[str]:
    return sorted({_family(t) for t in opensearch_instance_types()})


@cache
def tls_security_policies() -> tuple[str, ...]:
    """TLS policies from botocore, keeping only TLS 1.2+ ones (the domain requires 1.2+)."""
    policies = _opensearch_model().shape_for("TLSSecurityPolicy").enum
    return tuple(p for p in policies if "TLS-1-0" not in p)


@cache
def region_partitions() -> dict[str, str]:
    """Every region botocore's endpoint data knows, mapped to its partition."""
    session = _session()
    out: dict[str, str] = {}
    for partition in session.get_available_partitions():
        # Lambda and CloudWatch Logs are what every collecting region needs.
        lambda_regions = set(session.get_available_regions("lambda", partition_name=partition))
        logs_regions = set(session.get_available_regions("logs", partition_name=partition))
        for region in lambda_regions & logs_regions:
            out[region] = partition
    return out


def retention_days_in_botocore_docs() -> tuple[int, ...]:
    """The allowed retention values as botocore's logs model documents them (for the test)."""
    model = _session().get_service_model("logs")
    doc = model.shape_for("Days").documentation
    match = re.search(r"Possible values are:([^.]*)", doc)
    return tuple(int(n) for n in re.findall(r"\d+", match.group(1))) if match else ()
