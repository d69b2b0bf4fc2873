"""The CloudWatch Logs -> forwarder grants: exact per log group, and within Lambda's 20 KB.

Figures (compact JSON as Lambda stores the policy, stack "dev", function
`edgelogs-dev-forwarder`), 30 edge functions with 20-character names and 5 distribution ids:
15,513 bytes in us-east-1 and 16,038 in ap-southeast-2 (the longest default region name), so
all 35 grants stay exact. With 64-character function names and a 40-character resource
prefix the same 35 groups need 19,658 bytes in ap-southeast-2: over the 19,456-byte budget
(20 KB less 1 KB headroom), so the 30 edge groups fold into one prefix grant.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import naming
from components.invoke_permissions import (
    POLICY_BUDGET_BYTES,
    POLICY_LIMIT_BYTES,
    Grant,
    PolicyTooLarge,
    grant_for,
    plan_grants,
    policy_size,
    statement,
)
from tests.deploy.harness import ACCOUNT, ProgramRun
from tests.deploy.tokens import INVOKE_CONFIG, PERMISSION, REGIONAL_FORWARDER, SUBSCRIPTION_FILTER


def _functions(count: int, length: int) -> list[str]:
    return [f"{'f' * (length - 3)}{i:03d}" for i in range(count)]


def _distributions(count: int) -> list[str]:
    return [f"E{i:013d}" for i in range(count)]


def _groups(functions: int, length: int, distributions: int) -> list[str]:
    return list(
        naming.collected_log_groups(_functions(functions, length), _distributions(distributions))
    )


def _exact(names: list[str]) -> list[Grant]:
    return [Grant(n, (n,)) for n in names]


def test_statement_is_what_lambda_stores_for_add_permission() -> None:
    grant = Grant("/aws/lambda/us-east-1.auth", ("/aws/lambda/us-east-1.auth",))
    st = statement(grant, partition="aws", region="eu-west-1", account=ACCOUNT,
                   function_name="edgelogs-dev-forwarder")  # fmt: skip
    assert st == {
        "Sid": grant.key,
        "Effect": "Allow",
        "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:edgelogs-dev-forwarder",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {
                "AWS:SourceArn": (
                    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/us-east-1.auth:*"
                )
            },
        },
    }
    # No dot (AddPermission allows [a-zA-Z0-9-_]); the hash is of "group-" + the group name.
    assert grant.key == "group-aws-lambda-us-east-1-auth-9419ce5f"
    assert len(grant.key) <= 100


@pytest.mark.parametrize(
    ("region", "expected"), [("us-east-1", 15_513), ("ap-southeast-2", 16_038)]
)
def test_measured_size_for_30_functions_and_5_distributions(region: str, expected: int) -> None:
    names = _groups(30, 20, 5)
    function = naming.forwarder_function_name("dev")
    size = policy_size(_exact(names), partition="aws", region=region, function_name=function)
    assert size == expected
    assert size < POLICY_BUDGET_BYTES < POLICY_LIMIT_BYTES == 20 * 1024
    plan = plan_grants(names, partition="aws", region=region, function_name=function)
    assert plan == _exact(names)  # every group named exactly


def test_too_many_groups_fold_the_biggest_kind_into_its_narrowest_prefix() -> None:
    names = _groups(30, 64, 5)
    function = naming.forwarder_function_name("x" * 60)  # the longest prefix naming allows
    exact_size = policy_size(_exact(names), partition="aws", region="ap-southeast-2",
                             function_name=function)  # fmt: skip
    assert exact_size == 19_658 and exact_size > POLICY_BUDGET_BYTES
    plan = plan_grants(names, partition="aws", region="ap-southeast-2", function_name=function)
    prefixes = [g for g in plan if g.prefix]
    assert len(prefixes) == 1
    (edge,) = prefixes
    # narrower than the kind's prefix: every edge function here shares 61 more characters
    assert edge.pattern == "/aws/lambda/us-east-1." + "f" * 61 + "0"
    assert edge.groups == tuple(names[:30])
    assert edge.source_arn("aws", "ap-southeast-2", ACCOUNT) == (
        f"arn:aws:logs:ap-southeast-2:{ACCOUNT}:log-group:{edge.pattern}*"
    )
    # the distributions still fit exactly
    assert [g for g in plan if not g.prefix] == _exact(names[30:])
    assert policy_size(plan, partition="aws", region="ap-southeast-2",
                       function_name=function) <= POLICY_BUDGET_BYTES  # fmt: skip
    for name in names:
        assert name in grant_for(plan, name).groups


def test_prefixes_are_never_broader_than_their_kind() -> None:
    functions = [f"a{i}-{'x' * 50}" for i in range(40)] + [f"b{i}-{'y' * 50}" for i in range(40)]
    distributions = [f"D{i}{'Z' * 20}" for i in range(60)] + [f"Q{i}{'Z' * 20}" for i in range(5)]
    names = list(naming.collected_log_groups(functions, distributions))
    plan = plan_grants(names, partition="aws", region="us-east-1", function_name="f")
    patterns = sorted(g.pattern for g in plan if g.prefix)
    assert patterns == ["/aws/cloudfront/LambdaEdge/", "/aws/lambda/us-east-1."]
    assert len(plan) == 2


def test_groups_of_no_known_kind_stay_exact_and_can_refuse_to_fit() -> None:
    custom = [f"/custom/{i:04d}-{'c' * 100}" for i in range(60)]
    with pytest.raises(PolicyTooLarge, match="Lambda allows 20480"):
        plan_grants(custom, partition="aws", region="us-east-1", function_name="f")


# ---- the program ---------------------------------------------------------------------------


def _source_arns(run_: ProgramRun, region: str) -> dict[str, Any]:
    return {
        p.inputs["sourceArn"]: p
        for p in run_.of_type(PERMISSION, parent=REGIONAL_FORWARDER) if p.region == region
    }


def test_one_exact_permission_per_collected_group_with_source_account(run) -> None:
    stack = run({"edgeFunctions": ["auth", "img"], "distributionIds": ["E2QWRUHAPOMQZL"],
                 "regions": ["us-east-1", "eu-west-1"]})  # fmt: skip
    groups = ["/aws/lambda/us-east-1.auth", "/aws/lambda/us-east-1.img",
              "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"]  # fmt: skip
    for region in ("us-east-1", "eu-west-1"):
        perms = _source_arns(stack, region)
        assert set(perms) == {
            f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{g}:*" for g in groups
        }
        for p in perms.values():
            assert p.inputs["principal"] == f"logs.{region}.amazonaws.com"
            assert p.inputs["sourceAccount"] == ACCOUNT
            assert p.inputs["action"] == "lambda:InvokeFunction"
            assert p.inputs["function"] == "edgelogs-dev-forwarder"
            assert p.inputs["statementId"] == p.name.split("-invoke-", 1)[1]
        assert all("*" not in a.split(":log-group:")[1][:-2] for a in perms)


def test_each_filter_depends_on_its_own_permission_and_the_async_config(run) -> None:
    stack = run({"edgeFunctions": ["auth", "img"], "regions": ["us-east-1", "eu-west-1"]})
    perms = {(p.region, p.inputs["sourceArn"]): p.name
             for p in stack.of_type(PERMISSION, parent=REGIONAL_FORWARDER)}
    for f in stack.of_type(SUBSCRIPTION_FILTER):
        deps = stack.depends_on(SUBSCRIPTION_FILTER, f.name)
        own = perms[(f.region, f"arn:aws:logs:{f.region}:{ACCOUNT}:log-group:"
                               f"{f.inputs['logGroup']}:*")]  # fmt: skip
        assert {n for t, n in deps if t == PERMISSION} == {own}
        assert (INVOKE_CONFIG, f"{f.region}-async") in deps


def test_policy_json_the_program_would_produce_fits(run) -> None:
    """Measured from what was registered, in the default region with the longest name."""
    stack = run({"edgeFunctions": _functions(30, 20), "distributionIds": _distributions(5),
                 "regions": ["ap-southeast-2"]})  # fmt: skip
    for region in {p.region for p in stack.of_type(PERMISSION, parent=REGIONAL_FORWARDER)}:
        statements = [
            {
                "Sid": p.inputs["statementId"], "Effect": "Allow",
                "Principal": {"Service": p.inputs["principal"]},
                "Action": p.inputs["action"],
                "Resource": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{p.inputs['function']}",
                "Condition": {"StringEquals": {"AWS:SourceAccount": p.inputs["sourceAccount"]},
                              "ArnLike": {"AWS:SourceArn": p.inputs["sourceArn"]}},
            }
            for p in stack.of_type(PERMISSION, parent=REGIONAL_FORWARDER) if p.region == region
        ]  # fmt: skip
        assert len(statements) == 35
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        assert len(json.dumps(policy, separators=(",", ":")).encode()) <= POLICY_BUDGET_BYTES
