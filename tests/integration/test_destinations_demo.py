"""scripts/demo --syslog: a syslog destination (a local rsyslog over TLS) beside the domain,
both getting every line of the demo traffic."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from ops import demo
from ops.demo_traffic import generate
from tests.integration.forwarder_support import count

AT = "2025-11-24T17:00:00Z"


def test_the_demo_shows_a_syslog_destination_beside_the_domain(
        opensearch_url: str, index_prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    traffic = generate(int(datetime.fromisoformat(AT).timestamp() * 1000))
    argv = ["--endpoint", opensearch_url, "--index-prefix", index_prefix, "--at", AT,
            "--syslog"]
    assert demo.main(argv) == 0
    out = capsys.readouterr().out
    assert count(opensearch_url, f"{index_prefix}-*") == traffic.events
    m = re.search(r"demo: syslog destination: rsyslog on 127\.0\.0\.1:\d+ \(TLS\) took "
                  r"(\d+) RFC 5424 records, (\d+) distinct event ids", out)
    assert m, out
    assert int(m.group(1)) == int(m.group(2)) == traffic.events
    assert re.search(r"e\.g\. host=[a-z]{2}-[a-z]+-\d app=[\w-]+ pri=1[01] sd=\[edgelogs@32473 "
                     r'event\.id="\d+"', out), out
