"""The Pulumi type tokens the tests look for, written out once (never read from components/:
a token changed there must fail the tests, not follow along)."""

from __future__ import annotations

# The provider, and the two invokes the program makes (components/identity.py)
PROVIDER = "pulumi:providers:aws"
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_PARTITION = "aws:index/getPartition:getPartition"

# edgelogs' own components
COVERAGE_CHECK = "edgelogs:index:CoverageCheck"
DASHBOARDS_AUTH = "edgelogs:index:DashboardsAuth"
DOMAIN_ALARMS = "edgelogs:index:DomainAlarms"
DOMAIN_SETUP = "edgelogs:index:DomainSetup"
FAILURE_QUEUE = "edgelogs:index:FailureQueue"
FORWARDER_ALARMS = "edgelogs:index:ForwarderAlarms"
FORWARDER_ROLE = "edgelogs:index:ForwarderRole"
OPERATOR_POLICY = "edgelogs:index:OperatorPolicy"
REGIONAL_FORWARDER = "edgelogs:index:RegionalForwarder"
SEARCH_DOMAIN = "edgelogs:index:SearchDomain"

# AWS resources
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SUBSCRIPTION_FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
COGNITO_USER = "aws:cognito/user:User"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
IDENTITY_POOL_ROLES = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
PERMISSION = "aws:lambda/permission:Permission"
DOMAIN = "aws:opensearch/domain:Domain"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUEUE = "aws:sqs/queue:Queue"
