"""The syslog destination against a real rsyslog: RFC 5424 over TLS (its gnutls driver,
certificates made by the test) and octet-counted plain TCP.

Without faults every event arrives exactly once; with rsyslog stopped and started again in
the middle of a batch, every event still arrives (at least once, counted by event id).
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator

import pytest
from forwarder.syslog_shipper import SyslogShipper

from tests.integration.destinations_support import events, fault_when, invoke, settings
from tests.support.receivers import Rsyslog, remove

ID = re.compile(r'event\.id="(\d+)"')


@pytest.fixture
def rsyslog() -> Iterator[Rsyslog]:
    receiver = Rsyslog()
    try:
        yield receiver
    finally:
        remove(receiver)


def shipper(r: Rsyslog, tls: bool) -> SyslogShipper:
    port = r.tls_port if tls else r.tcp_port
    return SyslogShipper(f"syslog:127.0.0.1:{port}", "127.0.0.1", port, tls, 10.0,
                         cafile=str(r.certs.ca) if tls else None)


def destination(r: Rsyslog, tls: bool) -> dict[str, object]:
    return {"type": "syslog", "host": "127.0.0.1",
            "port": r.tls_port if tls else r.tcp_port, "tls": tls}


def ids_of(records: list[dict[str, str]]) -> list[str]:
    out = []
    for rec in records:
        m = ID.search(rec["sd"])
        assert m, rec
        out.append(m.group(1))
    return out


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "tcp"])
def test_every_event_arrives_exactly_once(rsyslog: Rsyslog, tls: bool) -> None:
    evs = events(1000)
    summary = invoke(evs, settings([destination(rsyslog, tls)]), [shipper(rsyslog, tls)])
    records = rsyslog.wait_records(1000)
    assert len(records) == 1000
    assert sorted(ids_of(records)) == sorted(e["id"] for e in evs)
    assert {r["input"] for r in records} == {"tls" if tls else "tcp"}
    (delivered,) = summary.destinations.values()
    assert (delivered["sent"], delivered["undelivered"], delivered["attempts"]) == (1000, 0, 1)


def test_a_record_carries_the_event_as_rfc5424(rsyslog: Rsyslog) -> None:
    evs = events(40)
    invoke(evs, settings([destination(rsyslog, True)]), [shipper(rsyslog, True)])
    records = rsyslog.wait_records(40)
    by_id = dict(zip(ids_of(records), records, strict=True))
    report = next(e for e in evs if e["message"].startswith("REPORT"))
    rec = by_id[report["id"]]
    assert rec["host"] == "eu-west-1"
    assert rec["app"] == "edge-auth"
    assert rec["time"].startswith("2025-11-24T16:00:00")
    assert rec["msg"].rstrip("\n") == report["message"].rstrip("\n")
    assert '[edgelogs@32473 event.id="' + report["id"] + '" cloud.account.id="123456789012"' \
        ' log.group="/aws/lambda/us-east-1.edge-auth"' in rec["sd"]
    lam = rec["sd"][rec["sd"].index("[lambda@32473 "):]
    assert 'faas.name="edge-auth"' in lam and 'faas.version="7"' in lam
    assert 'aws.lambda.request_id="' in lam and 'billed_duration_ms="' in lam
    error = next(e for e in evs if "\tERROR\t" in e["message"])
    assert by_id[error["id"]]["pri"] == "11"  # user-level (1) * 8 + error (3)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
@pytest.mark.parametrize("tls", [True, False], ids=["tls", "tcp"])
def test_rsyslog_restarted_mid_batch_loses_nothing(rsyslog: Rsyslog, tls: bool,
                                                   sig: signal.Signals) -> None:
    evs = events(10_000, seed=11)

    def restart() -> None:
        rsyslog.stop(sig)
        time.sleep(0.3)
        rsyslog.start()

    thread = fault_when(lambda: rsyslog.out.exists() and rsyslog.out.stat().st_size > 0,
                        restart)
    summary = invoke(evs, settings([destination(rsyslog, tls)]), [shipper(rsyslog, tls)])
    thread.join(30)
    (delivered,) = summary.destinations.values()
    # The restart did hit the batch: the first attempt was not confirmed and was sent again.
    assert delivered["attempts"] >= 2, delivered
    assert delivered["undelivered"] == 0
    # A SIGKILL can cut rsyslog's last write in the middle of a record: that one line is
    # not JSON, and its event is counted from the batch sent again.
    records = rsyslog.wait_records(10_000, lenient=sig == signal.SIGKILL)
    assert set(ids_of(records)) == {e["id"] for e in evs}
