"""Which destinations a replay sends to: those a failure record names, else all."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from forwarder.errors import DeliveryError

from ops import replay, stack


def _record(message: str | None) -> str:
    body: dict = {"requestPayload": {"awslogs": {"data": "x"}}}
    if message is not None:
        body["responsePayload"] = {"errorMessage": message, "errorType": "DeliveryError"}
    return json.dumps(body)


def test_the_failed_destinations_are_read_from_the_record() -> None:
    error = DeliveryError(12, "syslog:h:6514: ConnectionRefusedError", ("syslog:h:6514",))
    assert replay.destinations_of(_record(str(error))) == ["syslog:h:6514"]
    both = DeliveryError(3, "HTTP 503", ("opensearch", "http:https://l.example/in"))
    assert replay.destinations_of(_record(str(both))) == ["opensearch",
                                                          "http:https://l.example/in"]


@pytest.mark.parametrize("message", [None, "Task timed out after 120.00 seconds",
                                     "4 event(s) not stored: HTTP 503 (of 9 events)"])
def test_a_record_that_names_none_goes_to_all(message: str | None) -> None:
    assert replay.destinations_of(_record(message)) is None


def test_destinations_come_from_the_option_the_endpoint_or_the_stack() -> None:
    given = SimpleNamespace(destinations='[{"type": "syslog", "host": "h", "port": 514}]',
                            endpoint=None)
    assert replay.destination_entries(given) == [{"type": "syslog", "host": "h", "port": 514}]
    assert replay.destination_entries(SimpleNamespace(destinations=None,
                                                      endpoint="https://x")) == [
        {"type": "opensearch"}]
    with pytest.raises(stack.StackOutputError, match="--destinations is not JSON"):
        replay.destination_entries(SimpleNamespace(destinations="[", endpoint=None))
    with pytest.raises(stack.StackOutputError, match="a JSON list of objects"):
        replay.destination_entries(SimpleNamespace(destinations='{"type": "http"}',
                                                   endpoint=None))
