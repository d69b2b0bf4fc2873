"""The setup function's input: every bad key named in one line."""

from __future__ import annotations

from typing import Any

import pytest
from domain_setup.handler import parse
from domain_setup.http import SetupError

GOOD = {"endpoint": "https://search-x.eu-central-1.es.amazonaws.com", "region": "eu-central-1",
        "indexPrefix": "lambda-edge", "indexRetentionDays": 14,
        "principals": {"writer": ["arn:aws:iam::123456789012:role/fwd"], "reader": []},
        "codeHash": "abc"}


def test_good_input() -> None:
    endpoint, region, desired = parse(GOOD)
    assert (endpoint, region) == ("https://search-x.eu-central-1.es.amazonaws.com",
                                  "eu-central-1")
    assert (desired.index_prefix, desired.retention_days) == ("lambda-edge", 14)
    assert desired.principals == {"writer": ["arn:aws:iam::123456789012:role/fwd"],
                                  "reader": []}


@pytest.mark.parametrize(("change", "message"), [
    ({"endpoint": ""}, "input key 'endpoint' must be a non-empty string"),
    ({"region": None}, "input key 'region' must be a non-empty string"),
    ({"indexPrefix": 3}, "input key 'indexPrefix' must be a non-empty string"),
    ({"indexRetentionDays": "14"},
     "input key 'indexRetentionDays' must be a whole number of days from 1 to 3650, got '14'"),
    ({"indexRetentionDays": 0},
     "input key 'indexRetentionDays' must be a whole number of days from 1 to 3650, got 0"),
    ({"indexRetentionDays": 3651},
     "input key 'indexRetentionDays' must be a whole number of days from 1 to 3650, got 3651"),
    ({"indexRetentionDays": True},
     "input key 'indexRetentionDays' must be a whole number of days from 1 to 3650, got True"),
    ({"principals": {"admin": []}},
     "input key 'principals' must map writer, operator, reader to lists of IAM ARNs"),
])
def test_bad_input_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SetupError) as err:
        parse({**GOOD, **change})
    assert str(err.value) == message


def test_not_an_object() -> None:
    with pytest.raises(SetupError, match=r"^input is a list, not a JSON object$"):
        parse([])
