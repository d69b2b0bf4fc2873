"""Every input the program registers, checked against the AWS API that receives it.

Pulumi's mocks accept any value; AWS does not. `TABLE` maps each resource type the program
registers, and each of its input arguments (a dotted camelCase path, `[]` for "every element"),
to the member of the botocore service model that the provider sends it to
(`Model(service, operation, "Member.Path")`), or, where no model covers the argument, to how it
is checked instead (`Other(how, check)`). `check_resource` then validates the value against
the member's shape: pattern (as a whole-string match), min/max length, enum, numeric range,
recursively through lists, maps and structures. A registered type or argument with no row is
itself a failure, so a new resource type costs one row here and cannot slip through.

Botocore's patterns are Java regexes (`\\p{L}` and friends), hence the `regex` module.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
import regex

from tests.deploy import tokens as t

Check = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Model:
    """The botocore member an argument is sent as: service, operation, member path."""

    service: str
    operation: str
    member: str


@dataclass(frozen=True)
class Other:
    """An argument no botocore member covers: how it is checked instead (`check` returns a
    problem, or None)."""

    how: str
    check: Check | None = None


Rule = Model | Other
# One row per registered type: argument path -> rule. A type whose row is empty registers
# no arguments that reach AWS (a component resource).
Row = Mapping[str, Rule]


def _no_check(how: str) -> Other:
    return Other(how)


def _within(lo: int, hi: int, source: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, int | float) or not lo <= value <= hi:
            return f"{value!r} is outside {lo}-{hi} ({source})"
        return None

    return check


def _one_of(*allowed: Any, source: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"{value!r} is not one of {allowed} ({source})"

    return check


def _reserved_concurrency(value: Any) -> str | None:
    # -1 is the provider's "no reservation": it then calls DeleteFunctionConcurrency instead of
    # PutFunctionConcurrency (https://www.pulumi.com/registry/packages/aws/api-docs/lambda/
    # function/, reservedConcurrentExecutions). Any other value goes to PutFunctionConcurrency.
    if value == -1:
        return None
    return check_value(
        member_shape(Model("lambda", "PutFunctionConcurrency", "ReservedConcurrentExecutions")),
        value,
    )


def _sent_unless_empty(model: Model) -> Other:
    def check(value: Any) -> str | None:
        return None if value == "" else check_value(member_shape(model), value)

    return Other(f"{model.service} {model.operation} {model.member}, when not empty", check)


# Lambda quotas: "Invocation payload (request and response): 6 MB each for request and
# response (synchronous)"; the Invocation resource invokes synchronously (RequestResponse).
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
_LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024


def _invoke_payload(value: Any) -> str | None:
    """Lambda Invoke's Payload is a blob the model does not constrain; the provider sends the
    `input` string as it is, and the function parses it as JSON (json.loads in
    lambda_src/domain_setup/handler.py): a JSON object, within the synchronous payload quota."""
    if not isinstance(value, str):
        return f"{value!r} is not a string"
    try:
        parsed = json.loads(value)
    except ValueError as e:
        return f"not JSON ({e})"
    if not isinstance(parsed, dict):
        return f"JSON {type(parsed).__name__}, not an object"
    size = len(value.encode())
    if size > SYNC_PAYLOAD_BYTES:
        return f"{size:,} bytes, more than {SYNC_PAYLOAD_BYTES:,} ({_LAMBDA_QUOTAS})"
    return None


_SQS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html"
_TAGS_BY_CONFIG = _no_check(
    "provider-level tags: the same map as every resource's `tags`, which the model checks"
)
_COMPONENT: Row = {}

TABLE: dict[str, Row] = {
    t.PROVIDER: {
        "region": _no_check("edgelogs:regions/homeRegion: config.py accepts only regions in "
                            "botocore's endpoint data (tests/deploy/test_deploy_config.py)"),
        "defaultTags": _TAGS_BY_CONFIG,
        "skipCredentialsValidation": _no_check("provider setting, never sent to AWS"),
        "skipRegionValidation": _no_check("provider setting, never sent to AWS"),
    },
    t.EVENT_RULE: {
        "name": Model("events", "PutRule", "Name"),
        "description": Model("events", "PutRule", "Description"),
        "scheduleExpression": Model("events", "PutRule", "ScheduleExpression"),
        "tags": Model("events", "PutRule", "Tags"),
    },
    t.EVENT_TARGET: {
        "rule": Model("events", "PutTargets", "Rule"),
        "arn": Model("events", "PutTargets", "Targets.Arn"),
    },
    t.LOG_GROUP: {
        "name": Model("logs", "CreateLogGroup", "logGroupName"),
        "tags": Model("logs", "CreateLogGroup", "tags"),
        # The model has no enum for it; the allowed values are in the API reference
        # (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
        # API_PutRetentionPolicy.html), which config.py's list is tested against.
        "retentionInDays": Other(
            "PutRetentionPolicy's documented values",
            _one_of(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                    2192, 2557, 2922, 3288, 3653, source="PutRetentionPolicy"),
        ),
    },
    t.SUBSCRIPTION_FILTER: {
        "name": Model("logs", "PutSubscriptionFilter", "filterName"),
        "logGroup": Model("logs", "PutSubscriptionFilter", "logGroupName"),
        "filterPattern": Model("logs", "PutSubscriptionFilter", "filterPattern"),
        "destinationArn": Model("logs", "PutSubscriptionFilter", "destinationArn"),
    },
    t.ALARM: {
        "name": Model("cloudwatch", "PutMetricAlarm", "AlarmName"),
        "alarmDescription": Model("cloudwatch", "PutMetricAlarm", "AlarmDescription"),
        "namespace": Model("cloudwatch", "PutMetricAlarm", "Namespace"),
        "metricName": Model("cloudwatch", "PutMetricAlarm", "MetricName"),
        "dimensions": Model("cloudwatch", "PutMetricAlarm", "Dimensions"),
        "statistic": Model("cloudwatch", "PutMetricAlarm", "Statistic"),
        "period": Model("cloudwatch", "PutMetricAlarm", "Period"),
        "evaluationPeriods": Model("cloudwatch", "PutMetricAlarm", "EvaluationPeriods"),
        "comparisonOperator": Model("cloudwatch", "PutMetricAlarm", "ComparisonOperator"),
        "threshold": Model("cloudwatch", "PutMetricAlarm", "Threshold"),
        "treatMissingData": Model("cloudwatch", "PutMetricAlarm", "TreatMissingData"),
        "alarmActions": Model("cloudwatch", "PutMetricAlarm", "AlarmActions"),
        "okActions": Model("cloudwatch", "PutMetricAlarm", "OKActions"),
        "insufficientDataActions": Model(
            "cloudwatch", "PutMetricAlarm", "InsufficientDataActions"),
        "tags": Model("cloudwatch", "PutMetricAlarm", "Tags"),
    },
    t.IDENTITY_POOL: {
        "identityPoolName": Model("cognito-identity", "CreateIdentityPool", "IdentityPoolName"),
        "allowUnauthenticatedIdentities": Model(
            "cognito-identity", "CreateIdentityPool", "AllowUnauthenticatedIdentities"),
        "allowClassicFlow": Model("cognito-identity", "CreateIdentityPool", "AllowClassicFlow"),
        "tags": Model("cognito-identity", "CreateIdentityPool", "IdentityPoolTags"),
    },
    t.IDENTITY_POOL_ROLES: {
        "identityPoolId": Model("cognito-identity", "SetIdentityPoolRoles", "IdentityPoolId"),
        "roles": Model("cognito-identity", "SetIdentityPoolRoles", "Roles"),
    },
    t.USER_POOL: {
        "name": Model("cognito-idp", "CreateUserPool", "PoolName"),
        "adminCreateUserConfig.allowAdminCreateUserOnly": Model(
            "cognito-idp", "CreateUserPool", "AdminCreateUserConfig.AllowAdminCreateUserOnly"),
        "adminCreateUserConfig.inviteMessageTemplate.emailSubject": Model(
            "cognito-idp", "CreateUserPool",
            "AdminCreateUserConfig.InviteMessageTemplate.EmailSubject"),
        "adminCreateUserConfig.inviteMessageTemplate.emailMessage": Model(
            "cognito-idp", "CreateUserPool",
            "AdminCreateUserConfig.InviteMessageTemplate.EmailMessage"),
        "passwordPolicy.minimumLength": Model(
            "cognito-idp", "CreateUserPool", "Policies.PasswordPolicy.MinimumLength"),
        "passwordPolicy.requireLowercase": Model(
            "cognito-idp", "CreateUserPool", "Policies.PasswordPolicy.RequireLowercase"),
        "passwordPolicy.requireUppercase": Model(
            "cognito-idp", "CreateUserPool", "Policies.PasswordPolicy.RequireUppercase"),
        "passwordPolicy.requireNumbers": Model(
            "cognito-idp", "CreateUserPool", "Policies.PasswordPolicy.RequireNumbers"),
        "passwordPolicy.requireSymbols": Model(
            "cognito-idp", "CreateUserPool", "Policies.PasswordPolicy.RequireSymbols"),
        "passwordPolicy.temporaryPasswordValidityDays": Model(
            "cognito-idp", "CreateUserPool",
            "Policies.PasswordPolicy.TemporaryPasswordValidityDays"),
        # Not OFF, the provider sends it with the software-token setting in
        # SetUserPoolMfaConfig right after CreateUserPool (terraform-provider-aws,
        # resourceUserPoolCreate), not in CreateUserPool itself.
        "mfaConfiguration": Model("cognito-idp", "SetUserPoolMfaConfig", "MfaConfiguration"),
        "softwareTokenMfaConfiguration.enabled": Model(
            "cognito-idp", "SetUserPoolMfaConfig", "SoftwareTokenMfaConfiguration.Enabled"),
        "accountRecoverySetting.recoveryMechanisms[].name": Model(
            "cognito-idp", "CreateUserPool", "AccountRecoverySetting.RecoveryMechanisms.Name"),
        "accountRecoverySetting.recoveryMechanisms[].priority": Model(
            "cognito-idp", "CreateUserPool",
            "AccountRecoverySetting.RecoveryMechanisms.Priority"),
        "autoVerifiedAttributes": Model("cognito-idp", "CreateUserPool", "AutoVerifiedAttributes"),
        "usernameConfiguration.caseSensitive": Model(
            "cognito-idp", "CreateUserPool", "UsernameConfiguration.CaseSensitive"),
        "deletionProtection": Model("cognito-idp", "CreateUserPool", "DeletionProtection"),
        "userPoolTier": Model("cognito-idp", "CreateUserPool", "UserPoolTier"),
        "userPoolAddOns.advancedSecurityMode": Model(
            "cognito-idp", "CreateUserPool", "UserPoolAddOns.AdvancedSecurityMode"),
        "tags": Model("cognito-idp", "CreateUserPool", "UserPoolTags"),
    },
    t.USER_POOL_DOMAIN: {
        "domain": Model("cognito-idp", "CreateUserPoolDomain", "Domain"),
        "userPoolId": Model("cognito-idp", "CreateUserPoolDomain", "UserPoolId"),
    },
    t.COGNITO_USER: {
        "userPoolId": Model("cognito-idp", "AdminCreateUser", "UserPoolId"),
        "username": Model("cognito-idp", "AdminCreateUser", "Username"),
        "attributes": Model("cognito-idp", "AdminCreateUser", "UserAttributes"),
        "desiredDeliveryMediums": Model(
            "cognito-idp", "AdminCreateUser", "DesiredDeliveryMediums"),
    },
    t.IAM_POLICY: {
        "name": Model("iam", "CreatePolicy", "PolicyName"),
        "description": Model("iam", "CreatePolicy", "Description"),
        "policy": Model("iam", "CreatePolicy", "PolicyDocument"),
        "tags": Model("iam", "CreatePolicy", "Tags"),
    },
    t.ROLE: {
        "name": Model("iam", "CreateRole", "RoleName"),
        "description": Model("iam", "CreateRole", "Description"),
        "assumeRolePolicy": Model("iam", "CreateRole", "AssumeRolePolicyDocument"),
        "tags": Model("iam", "CreateRole", "Tags"),
    },
    t.ROLE_POLICY: {
        "name": Model("iam", "PutRolePolicy", "PolicyName"),
        "role": Model("iam", "PutRolePolicy", "RoleName"),
        "policy": Model("iam", "PutRolePolicy", "PolicyDocument"),
    },
    t.ROLE_POLICY_ATTACHMENT: {
        "role": Model("iam", "AttachRolePolicy", "RoleName"),
        "policyArn": Model("iam", "AttachRolePolicy", "PolicyArn"),
    },
    t.FUNCTION: {
        "name": Model("lambda", "CreateFunction", "FunctionName"),
        "description": Model("lambda", "CreateFunction", "Description"),
        "role": Model("lambda", "CreateFunction", "Role"),
        "handler": Model("lambda", "CreateFunction", "Handler"),
        "runtime": Model("lambda", "CreateFunction", "Runtime"),
        "architectures": Model("lambda", "CreateFunction", "Architectures"),
        "timeout": Model("lambda", "CreateFunction", "Timeout"),
        "memorySize": Model("lambda", "CreateFunction", "MemorySize"),
        "environment.variables": Model("lambda", "CreateFunction", "Environment.Variables"),
        "loggingConfig.logGroup": Model("lambda", "CreateFunction", "LoggingConfig.LogGroup"),
        "tags": Model("lambda", "CreateFunction", "Tags"),
        "reservedConcurrentExecutions": Other(
            "PutFunctionConcurrency ReservedConcurrentExecutions (min 0), or -1: the "
            "provider's 'no reservation'", _reserved_concurrency),
        "code": _no_check("a FileArchive the provider zips and uploads; its size and contents "
                          "are tested in tests/bundle"),
        "sourceCodeHash": _no_check("the provider's change trigger, never sent to AWS"),
    },
    t.INVOKE_CONFIG: {
        "functionName": Model("lambda", "PutFunctionEventInvokeConfig", "FunctionName"),
        "maximumRetryAttempts": Model(
            "lambda", "PutFunctionEventInvokeConfig", "MaximumRetryAttempts"),
        "maximumEventAgeInSeconds": Model(
            "lambda", "PutFunctionEventInvokeConfig", "MaximumEventAgeInSeconds"),
        "destinationConfig.onFailure.destination": Model(
            "lambda", "PutFunctionEventInvokeConfig", "DestinationConfig.OnFailure.Destination"),
    },
    t.INVOCATION: {
        "functionName": Model("lambda", "Invoke", "FunctionName"),
        "input": Other("lambda Invoke Payload (a blob, unconstrained in the model): a JSON "
                       "object within the 6 MB synchronous payload quota", _invoke_payload),
        "triggers": _no_check("the provider's re-invocation trigger, never sent to AWS"),
    },
    t.PERMISSION: {
        "statementId": Model("lambda", "AddPermission", "StatementId"),
        "action": Model("lambda", "AddPermission", "Action"),
        "function": Model("lambda", "AddPermission", "FunctionName"),
        "principal": Model("lambda", "AddPermission", "Principal"),
        "sourceArn": Model("lambda", "AddPermission", "SourceArn"),
        "sourceAccount": Model("lambda", "AddPermission", "SourceAccount"),
    },
    t.DOMAIN: {
        "domainName": Model("opensearch", "CreateDomain", "DomainName"),
        "engineVersion": Model("opensearch", "CreateDomain", "EngineVersion"),
        "clusterConfig.instanceType": Model(
            "opensearch", "CreateDomain", "ClusterConfig.InstanceType"),
        "clusterConfig.instanceCount": Model(
            "opensearch", "CreateDomain", "ClusterConfig.InstanceCount"),
        "clusterConfig.zoneAwarenessEnabled": Model(
            "opensearch", "CreateDomain", "ClusterConfig.ZoneAwarenessEnabled"),
        "clusterConfig.zoneAwarenessConfig.availabilityZoneCount": Model(
            "opensearch", "CreateDomain",
            "ClusterConfig.ZoneAwarenessConfig.AvailabilityZoneCount"),
        "clusterConfig.dedicatedMasterEnabled": Model(
            "opensearch", "CreateDomain", "ClusterConfig.DedicatedMasterEnabled"),
        "clusterConfig.dedicatedMasterType": Model(
            "opensearch", "CreateDomain", "ClusterConfig.DedicatedMasterType"),
        "clusterConfig.dedicatedMasterCount": Model(
            "opensearch", "CreateDomain", "ClusterConfig.DedicatedMasterCount"),
        "ebsOptions.ebsEnabled": Model("opensearch", "CreateDomain", "EBSOptions.EBSEnabled"),
        "ebsOptions.volumeType": Model("opensearch", "CreateDomain", "EBSOptions.VolumeType"),
        "ebsOptions.volumeSize": Model("opensearch", "CreateDomain", "EBSOptions.VolumeSize"),
        "encryptAtRest.enabled": Model(
            "opensearch", "CreateDomain", "EncryptionAtRestOptions.Enabled"),
        "nodeToNodeEncryption.enabled": Model(
            "opensearch", "CreateDomain", "NodeToNodeEncryptionOptions.Enabled"),
        "domainEndpointOptions.enforceHttps": Model(
            "opensearch", "CreateDomain", "DomainEndpointOptions.EnforceHTTPS"),
        "domainEndpointOptions.tlsSecurityPolicy": Model(
            "opensearch", "CreateDomain", "DomainEndpointOptions.TLSSecurityPolicy"),
        "accessPolicies": Model("opensearch", "CreateDomain", "AccessPolicies"),
        "advancedOptions": Model("opensearch", "CreateDomain", "AdvancedOptions"),
        "cognitoOptions.enabled": Model("opensearch", "CreateDomain", "CognitoOptions.Enabled"),
        # The provider sends the ids only when Cognito is enabled (expandCognitoOptions in
        # terraform-provider-aws); disabled, they are empty and never reach AWS.
        "cognitoOptions.userPoolId": _sent_unless_empty(
            Model("opensearch", "CreateDomain", "CognitoOptions.UserPoolId")),
        "cognitoOptions.identityPoolId": _sent_unless_empty(
            Model("opensearch", "CreateDomain", "CognitoOptions.IdentityPoolId")),
        "cognitoOptions.roleArn": _sent_unless_empty(
            Model("opensearch", "CreateDomain", "CognitoOptions.RoleArn")),
        "advancedSecurityOptions.enabled": Model(
            "opensearch", "CreateDomain", "AdvancedSecurityOptions.Enabled"),
        "advancedSecurityOptions.internalUserDatabaseEnabled": Model(
            "opensearch", "CreateDomain", "AdvancedSecurityOptions.InternalUserDatabaseEnabled"),
        "advancedSecurityOptions.anonymousAuthEnabled": Model(
            "opensearch", "CreateDomain", "AdvancedSecurityOptions.AnonymousAuthEnabled"),
        "advancedSecurityOptions.masterUserOptions.masterUserArn": Model(
            "opensearch", "CreateDomain",
            "AdvancedSecurityOptions.MasterUserOptions.MasterUserARN"),
        "tags": Model("opensearch", "CreateDomain", "TagList"),
    },
    t.TOPIC: {
        "name": Model("sns", "CreateTopic", "Name"),
        "tags": Model("sns", "CreateTopic", "Tags"),
    },
    t.TOPIC_SUBSCRIPTION: {
        "topic": Model("sns", "Subscribe", "TopicArn"),
        "protocol": Model("sns", "Subscribe", "Protocol"),
        "endpoint": Model("sns", "Subscribe", "Endpoint"),
    },
    t.QUEUE: {
        "name": Model("sqs", "CreateQueue", "QueueName"),
        "tags": Model("sqs", "CreateQueue", "tags"),
        # Queue attributes travel as a string map (no per-attribute model); the ranges are the
        # API reference's.
        "messageRetentionSeconds": Other(
            "MessageRetentionPeriod 60-1,209,600 s", _within(60, 1_209_600, _SQS)),
        "visibilityTimeoutSeconds": Other(
            "VisibilityTimeout 0-43,200 s", _within(0, 43_200, _SQS)),
        "maxMessageSize": Other(
            "MaximumMessageSize 1,024-1,048,576 bytes", _within(1024, 1_048_576, _SQS)),
        "sqsManagedSseEnabled": Other(
            "SqsManagedSseEnabled true/false", _one_of(True, False, source=_SQS)),
    },
    t.COVERAGE_CHECK: _COMPONENT,
    t.DASHBOARDS_AUTH: _COMPONENT,
    t.DOMAIN_ALARMS: _COMPONENT,
    t.DOMAIN_SETUP: _COMPONENT,
    t.FAILURE_QUEUE: _COMPONENT,
    t.FORWARDER_ALARMS: _COMPONENT,
    t.FORWARDER_ROLE: _COMPONENT,
    t.OPERATOR_POLICY: _COMPONENT,
    t.REGIONAL_FORWARDER: _COMPONENT,
    t.SEARCH_DOMAIN: _COMPONENT,
}


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()


@functools.cache
def member_shape(model: Model) -> Any:
    """The botocore shape of `model.member` (lists are stepped through to their element)."""
    shape = _session().get_service_model(model.service).operation_model(model.operation)
    shape = shape.input_shape
    for name in model.member.split("."):
        while shape.type_name == "list":
            shape = shape.member
        if name not in shape.members:
            raise KeyError(f"{model.service} {model.operation} has no member {model.member}")
        shape = shape.members[name]
    return shape


@functools.cache
def _pattern(text: str) -> Any:
    return regex.compile(text)


def _as_key_value_list(shape: Any, value: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """A Pulumi map sent as a list of {Key, Value} / {Name, Value} structures (tags,
    dimensions, user attributes)."""
    member = shape.member
    if member.type_name != "structure":
        return None
    for key_name in ("Key", "Name"):
        if key_name in member.members and "Value" in member.members:
            return [{key_name: k, "Value": v} for k, v in value.items()]
    return None


def check_value(shape: Any, value: Any, where: str = "") -> str | None:
    """The first way `value` breaks `shape`'s constraints, or None."""
    meta = shape.metadata
    at = f"{where}: " if where else ""
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            return f"{at}{value!r} is not a string"
        if "min" in meta and len(value) < meta["min"]:
            return f"{at}{value!r} is shorter than {meta['min']}"
        if "max" in meta and len(value) > meta["max"]:
            return f"{at}{len(value)} characters, more than {meta['max']}"
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            return f"{at}{value!r} does not match the pattern {meta['pattern']}"
        if shape.enum and value not in shape.enum:
            return f"{at}{value!r} is not one of {list(shape.enum)}"
        return None
    if kind in ("integer", "long", "double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{at}{value!r} is not a number"
        if kind in ("integer", "long") and value != int(value):
            return f"{at}{value!r} is not a whole number"
        if "min" in meta and value < meta["min"]:
            return f"{at}{value!r} is below the minimum {meta['min']}"
        if "max" in meta and value > meta["max"]:
            return f"{at}{value!r} is above the maximum {meta['max']}"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{at}{value!r} is not a boolean"
    if kind == "list":
        if isinstance(value, Mapping):
            converted = _as_key_value_list(shape, value)
            if converted is None:
                return f"{at}a map where the API takes a list"
            value = converted
        if not isinstance(value, list):
            return f"{at}{value!r} is not a list"
        if "min" in meta and len(value) < meta["min"]:
            return f"{at}{len(value)} entries, fewer than {meta['min']}"
        if "max" in meta and len(value) > meta["max"]:
            return f"{at}{len(value)} entries, more than {meta['max']}"
        for i, item in enumerate(value):
            problem = check_value(shape.member, item, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, Mapping):
            return f"{at}{value!r} is not a map"
        if "max" in meta and len(value) > meta["max"]:
            return f"{at}{len(value)} entries, more than {meta['max']}"
        for k, v in value.items():
            problem = check_value(shape.key, k, f"{where} key") or check_value(
                shape.value, v, f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    if kind == "structure":
        if not isinstance(value, Mapping):
            return f"{at}{value!r} is not a structure"
        for name, item in value.items():
            if name not in shape.members:
                return f"{at}no member {name}"
            problem = check_value(shape.members[name], item, f"{where}.{name}")
            if problem:
                return problem
        return None
    raise AssertionError(f"{at}no check for botocore shape type {kind}")


def leaves(inputs: Mapping[str, Any], row: Row, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(argument path, value) for every argument: a path with a row is a leaf; other objects
    are walked into (lists of objects as `path[]`)."""
    for key, value in inputs.items():
        path = f"{prefix}{key}"
        if path in row:
            yield path, value
        elif isinstance(value, Mapping):
            yield from leaves(value, row, f"{path}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for item in value:
                yield from leaves(item, row, f"{path}[].")
        else:
            yield path, value


def _normalise(value: Any) -> Any:
    """Numbers arrive from the mocks as floats; JSON text (provider defaultTags) as strings."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def check_resource(typ: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Every problem with one registered resource's inputs, each naming type, name, argument."""
    where = f"{typ} {name}"
    if typ not in TABLE:
        return [f"{where}: no row in tests/deploy/aws_models.TABLE for this resource type"]
    row = TABLE[typ]
    problems = []
    for path, value in leaves(inputs, row):
        rule = row.get(path)
        if rule is None:
            problems.append(f"{where}: argument {path} has no row in aws_models.TABLE")
            continue
        value = _normalise(value)
        if isinstance(rule, Model):
            problem = check_value(member_shape(rule), value, path)
            source = f"{rule.service} {rule.operation} {rule.member}"
        else:
            problem = rule.check(value) if rule.check else None
            problem = f"{path}: {problem}" if problem else None
            source = rule.how
        if problem:
            problems.append(f"{where}: {problem} [{source}]")
    return problems
