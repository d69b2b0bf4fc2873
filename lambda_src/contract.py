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
ENV_INDEX_RETENTION_DAYS: Final = "INDEX_RETENTION_DAYS"
ENV_BULK_MAX_BYTES: Final = "BULK_MAX_BYTES"
ENV_BULK_MAX_DOCS: Final = "BULK_MAX_DOCS"
ENV_BULK_CONCURRENCY: Final = "BULK_CONCURRENCY"
ENV_SAFETY_MARGIN_MS: Final = "SAFETY_MARGIN_MS"
ENV_REQUEST_TIMEOUT_MS: Final = "REQUEST_TIMEOUT_MS"
# Primary shards and replicas of a daily log index (index_shards / index_replicas below).
ENV_INDEX_SHARDS: Final = "INDEX_SHARDS"
ENV_INDEX_REPLICAS: Final = "INDEX_REPLICAS"

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
