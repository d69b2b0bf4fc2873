"""One explicit aws.Provider per region: nothing regional ever falls back to the ambient one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pulumi_aws as aws


def regional_providers(
    regions: Iterable[str], tags: Mapping[str, str]
) -> dict[str, aws.Provider]:
    """Providers keyed by region. default_tags tag anything a component forgets to tag."""
    return {
        region: aws.Provider(
            f"aws-{region}",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=dict(tags)),
        )
        for region in regions
    }
