"""The log template's message analyzer, run by the engine itself (`_analyze` on an index
the domain setup's template made): the line's header is not indexed, its words are."""

from __future__ import annotations

import pytest

from tests.integration.forwarder_support import call

RID = "cd613e30-d8f1-4adf-91b7-584a2265b1f5"


@pytest.mark.parametrize(("line", "tokens"), [
    # Node.js and the other runtimes' text format: time and request id go, the level stays.
    (f"2025-11-24T16:00:00.000Z\t{RID}\tINFO\tviewer request /img/1.jpg from 203.0.113.32\n",
     ["info", "viewer", "request", "img", "1", "jpg", "from", "203.0.113.32"]),
    # Python's: [LEVEL], time, request id.
    (f"[ERROR]\t2025-11-24T16:00:00.000Z\t{RID}\tKeyError: 'uri'\n",
     ["error", "keyerror", "uri"]),
    (f"START RequestId: {RID} Version: 7\n", ["start", "version", "7"]),
    (f"END RequestId: {RID}\n", ["end"]),
    (f"REPORT RequestId: {RID}\tDuration: 38.05 ms\tBilled Duration: 39 ms\t"
     "Memory Size: 128 MB\tMax Memory Used: 80 MB\t\n",
     ["report", "duration", "38.05", "ms", "billed", "duration", "39", "ms", "memory", "size",
      "128", "mb", "max", "memory", "used", "80", "mb"]),
    (f"2025-11-24T16:00:30.000Z {RID} Task timed out after 30.00 seconds\n",
     ["task", "timed", "out", "after", "30.00", "seconds"]),
    # Not a header: anything else is analyzed whole, as the standard analyzer would.
    (f"retry of {RID} RequestId: 7\n",
     ["retry", "of", "cd613e30", "d8f1", "4adf", "91b7", "584a2265b1f5", "requestid", "7"]),
    ("Traceback (most recent call last):\n", ["traceback", "most", "recent", "call", "last"]),
])
def test_the_message_is_indexed_without_the_line_s_header(
        opensearch_url: str, index_prefix: str, line: str, tokens: list[str]) -> None:
    index = f"{index_prefix}-2025.11.24"
    call(opensearch_url, "PUT", index)  # from the template, as the forwarder's first bulk
    answer = call(opensearch_url, "POST", f"{index}/_analyze",
                  {"field": "message", "text": line})
    assert [t["token"] for t in answer["tokens"]] == tokens
