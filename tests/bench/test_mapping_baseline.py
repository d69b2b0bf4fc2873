"""The mapping bench's baseline side indexes today's documents, as the forwarder built them
before issue 21, written out here (not derived from the forwarder)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench")]

import mapping_bench  # noqa: E402

ACTION = ('{"create":{"_id":"05233ed3b17fa004fda1-'
          '00000001764000000001000000000000000000000000000000000001"}}')
NEW = ('{"event.ingested":"2026-12-04T22:26:07.241Z","cloud.region":"eu-west-1",'
       '"cloud.account.id":"123456789012","log.group":"/aws/lambda/us-east-1.edge-auth",'
       '"log.stream":"2025/11/24/[7]0123456789abcdef0123456789abcdef","faas.name":"edge-auth",'
       '"@timestamp":"2025-11-24T16:00:00.001Z","message":"START RequestId: r Version: 7\\n",'
       '"faas.version":"7"}\n')
BEFORE_ISSUE_21 = (
    '{"event.ingested":"2026-12-04T22:26:07.241Z","cloud.provider":"aws",'
    '"cloud.region":"eu-west-1","cloud.account.id":"123456789012",'
    '"log.group":"/aws/lambda/us-east-1.edge-auth",'
    '"log.stream":"2025/11/24/[7]0123456789abcdef0123456789abcdef","faas.name":"edge-auth",'
    '"@timestamp":"2025-11-24T16:00:00.001Z",'
    '"event.id":"00000001764000000001000000000000000000000000000000000001",'
    '"message":"START RequestId: r Version: 7\\n","faas.version":"7"}\n')


def test_the_baseline_side_gets_the_documents_as_they_were() -> None:
    assert mapping_bench.baseline_lines([f"{ACTION}\n{NEW}"]) == [f"{ACTION}\n{BEFORE_ISSUE_21}"]
