"""Replay (moto's SQS failure queue) with destinations besides the domain: a record that
names the destinations its last attempt failed for goes again to those only; a record that
names none goes to all. The receivers are the real rsyslog and VictoriaLogs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from forwarder.errors import DeliveryError
from forwarder.http_shipper import HttpShipper
from forwarder.syslog_shipper import SyslogShipper
from moto import mock_aws

from ops.replay import replay_queue
from tests.forwarder import payloads
from tests.integration.destinations_support import REGION, events, invoke, settings
from tests.support.cwl import failure_record
from tests.support.receivers import Rsyslog, VictoriaLogs, remove


@pytest.fixture
def receivers() -> Iterator[tuple[Rsyslog, VictoriaLogs]]:
    r, v = Rsyslog(), None
    try:
        v = VictoriaLogs()
        yield r, v
    finally:
        remove(r)
        if v is not None:
            remove(v)


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def _shippers(r: Rsyslog, v: VictoriaLogs) -> tuple[SyslogShipper, HttpShipper]:
    return (SyslogShipper(f"syslog:127.0.0.1:{r.tls_port}", "127.0.0.1", r.tls_port, True,
                          5.0, cafile=str(r.certs.ca)),
            HttpShipper("http:victorialogs", v.jsonline_url, {}, 5.0, 1 << 20))


def _settings(r: Rsyslog, v: VictoriaLogs) -> Any:
    return settings([{"type": "syslog", "host": "127.0.0.1", "port": r.tls_port},
                     {"type": "http", "url": v.jsonline_url}])


def _queue(sqs: Any, record: dict[str, Any]) -> str:
    import json

    url = sqs.create_queue(QueueName="edgelogs-forwarder-failures")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
    return url


def test_replay_sends_again_only_to_the_destination_that_failed(
        receivers: tuple[Rsyslog, VictoriaLogs], sqs: Any) -> None:
    r, v = receivers
    syslog, http = _shippers(r, v)
    evs = events(200)
    r.stop()  # the syslog receiver is down: that destination fails, the other does not
    with pytest.raises(DeliveryError) as info:
        invoke(evs, _settings(r, v), [syslog, http], seconds=4)
    assert info.value.destinations == (syslog.name,)
    assert v.wait_unique(200) == {e["id"] for e in evs}
    record = failure_record(payloads.encode(payloads.payload(evs)), REGION)
    record["responsePayload"]["errorMessage"] = str(info.value)  # as Lambda keeps it
    url = _queue(sqs, record)

    r.start()
    report = replay_queue(sqs, url, _settings(r, v), None, others=[syslog, http],
                          wait_seconds=1, seconds_per_message=20, log=lambda line: None)
    assert (report.replayed, report.failed, report.events) == (1, 0, 200)
    assert sorted(rec["sd"].split('event.id="')[1].split('"')[0]
                  for rec in r.wait_records(200)) == sorted(e["id"] for e in evs)
    time.sleep(1.5)  # anything VictoriaLogs got again would be searchable by now
    (total,) = v.query("* | stats count() as n")
    assert total["n"] == "200"  # the http destination was not sent anything again


def test_a_record_naming_no_destination_goes_to_all(
        receivers: tuple[Rsyslog, VictoriaLogs], sqs: Any) -> None:
    r, v = receivers
    syslog, http = _shippers(r, v)
    evs = events(50, seed=3)
    url = _queue(sqs, failure_record(payloads.encode(payloads.payload(evs)), REGION))
    report = replay_queue(sqs, url, _settings(r, v), None, others=[syslog, http],
                          wait_seconds=1, seconds_per_message=20, log=lambda line: None)
    assert (report.replayed, report.failed) == (1, 0)
    assert len(r.wait_records(50)) == 50
    assert v.wait_unique(50) == {e["id"] for e in evs}
