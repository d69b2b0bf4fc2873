"""edgelogs: Lambda@Edge logs from every region into one OpenSearch domain.

A thin composition: read the config, build the components, export what an operator needs.
"""

from __future__ import annotations

import pulumi

from components import bundle, naming
from components.config import load_config
from components.forwarder_role import ForwarderRole, ForwarderRoleArgs
from components.providers import regional_providers
from components.regional_forwarder import LogSource, RegionalForwarder, RegionalForwarderArgs
from components.search_domain import SearchDomain, SearchDomainArgs

config = load_config()
tags = config.all_tags
stack = config.stack

providers = regional_providers(dict.fromkeys((*config.regions, config.home_region)), tags)
home = providers[config.home_region]

# Built once per run (and cached on disk), shared by every region.
code = bundle.build_bundle()
archive = pulumi.FileArchive(str(code.path))

role = ForwarderRole(
    "forwarder",
    ForwarderRoleArgs(
        role_name=naming.forwarder_function_name(stack),
        home_region=config.home_region,
        domain_name=naming.domain_name(stack),
        index_prefix=config.index_prefix,
        regions=config.regions,
        forwarder_log_group_name=naming.forwarder_log_group_name(stack),
        failure_queue_name=naming.failure_queue_name(stack),
        provider=home,
        tags=tags,
    ),
)

search = SearchDomain(
    "search",
    SearchDomainArgs(
        domain_name=naming.domain_name(stack),
        home_region=config.home_region,
        index_prefix=config.index_prefix,
        settings=config.domain,
        forwarder_role_arn=role.arn,
        admin_principals=config.admin_principals,
        provider=home,
        tags=tags,
    ),
)

forwarders: dict[str, RegionalForwarder] = {}
for region in config.regions:
    existing = set(config.existing_log_groups.get(region, ()))
    forwarders[region] = RegionalForwarder(
        region,
        RegionalForwarderArgs(
            region=region,
            provider=providers[region],
            function_name=naming.forwarder_function_name(stack),
            log_group_name=naming.forwarder_log_group_name(stack),
            queue_name=naming.failure_queue_name(stack),
            topic_name=naming.alarm_topic_name(stack),
            role_arn=role.arn,
            code=archive,
            source_code_hash=code.source_code_hash,
            runtime=bundle.LAMBDA_RUNTIME,
            architecture=bundle.LAMBDA_ARCHITECTURE,
            search_endpoint=search.endpoint,
            search_region=config.home_region,
            index_prefix=config.index_prefix,
            sources=[LogSource(n, existing=n in existing) for n in config.log_group_names()],
            log_retention_days=config.log_retention_days,
            filter_pattern=config.filter_pattern,
            alarm_name_prefix=naming.resource_prefix(stack),
            alarm_email=config.alarm_email,
            tags=tags,
        ),
    )

pulumi.export("domainEndpoint", search.endpoint)
pulumi.export("domainRegion", config.home_region)
pulumi.export("dashboardsUrl", search.dashboards_url)
pulumi.export("forwarderArns", {r: f.function.arn for r, f in forwarders.items()})
pulumi.export("logGroups", {r: f.log_group_names for r, f in forwarders.items()})
pulumi.export("failureQueueUrls", {r: f.failure_queue.url for r, f in forwarders.items()})
pulumi.export("alarmTopicArns", {r: f.alarms.topic.arn for r, f in forwarders.items()})
