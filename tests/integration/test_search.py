"""`edgelogs search` against the real node, on documents stored by the real forwarder code."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from forwarder.handler import process

from ops.search import command as search
from ops.search import paging
from tests.forwarder.payloads import BASE_MS, encode, event_id, payload
from tests.integration.forwarder_support import all_docs, call, client_for, settings, sign_as
from tests.support.front_door import Deployment, FrontDoor

T0 = BASE_MS  # 2025-11-24T16:00:00Z
AUTH = "/aws/lambda/us-east-1.viewer-auth"
ROUTER = "/aws/lambda/us-east-1.origin-router"
CLOUDFRONT = "/aws/cloudfront/LambdaEdge/E2QWRUHAPOMQZL"
R1, R2, R3, R4 = (f"1111{n}1111-2222-3333-4444-555555555555"[-36:] for n in "1234")


def _iso(ms: int) -> str:
    # The test's own formatter: expected times are not made by ops.times, the code under test.
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Seeded:
    url: str
    prefix: str
    # (ts, event id, region, message) of everything sent, in the order sent
    sent: list[tuple[int, str, str, str]] = field(default_factory=list)
    seq: int = 0

    def store(self, region: str, group: str, stream: str,
              lines: list[tuple[int, str]]) -> None:
        events = []
        for ts, message in lines:
            self.seq += 1
            eid = event_id(ts, self.seq)
            events.append({"id": eid, "timestamp": ts,
                           "message": message.replace("{iso}", _iso(ts))})
            self.sent.append((ts, eid, region, events[-1]["message"]))
        s = settings(self.url, self.prefix, region)
        process(encode(payload(events, group, stream)), s, client_for(s), time.monotonic() + 60)
        call(self.url, "POST", f"{self.prefix}-*/_refresh")

    def search(self, *argv: str, sleep: Callable[[float], None] = time.sleep
               ) -> tuple[int, list[str]]:
        out = io.StringIO()
        code = search.main(["--endpoint", self.url, "--index-prefix", self.prefix, *argv],
                           out=out, sleep=sleep)
        return code, out.getvalue().splitlines()


WINDOW = ("--since", _iso(T0 - 60_000), "--until", _iso(T0 + 3_600_000))


@pytest.fixture
def seeded(opensearch_url: str, index_prefix: str) -> Seeded:
    s = Seeded(opensearch_url, index_prefix)
    # eu-west-1: a cold start that timed out (the notice names no request), then a warm one.
    s.store("eu-west-1", AUTH, "2025/11/24/[7]aaaa", [
        (T0, "INIT_START Runtime Version: nodejs:20.v33\tRuntime Version ARN: arn:x\n"),
        (T0 + 300, f"START RequestId: {R1} Version: 7\n"),
        (T0 + 301, "{iso}\t" + R1 + "\tINFO\tviewer request /a marker-a1\n"),
        (T0 + 302, "{iso} " + R1 + " Task timed out after 5.00 seconds\n"),
        (T0 + 303, f"END RequestId: {R1}\n"),
        (T0 + 304, f"REPORT RequestId: {R1}\tDuration: 5000.00 ms\tBilled Duration: 5000 ms\t"
                   "Memory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 290.00 ms\t\n"),
        (T0 + 400, f"START RequestId: {R2} Version: 7\n"),
        (T0 + 401, "{iso}\t" + R2 + "\tWARN\ttoken expired for /account\n"),
        (T0 + 402, f"END RequestId: {R2}\n"),
        (T0 + 402, f"REPORT RequestId: {R2}\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
                   "Memory Size: 128 MB\tMax Memory Used: 70 MB\t\n"),
    ])
    # ap-northeast-1, interleaved in time with eu-west-1.
    s.store("ap-northeast-1", AUTH, "2025/11/24/[7]bbbb", [
        (T0 + 350, f"START RequestId: {R3} Version: 7\n"),
        (T0 + 351, "{iso}\t" + R3 + "\tERROR\torigin timeout after 30 s\n"),
        (T0 + 352, f"END RequestId: {R3}\n"),
        (T0 + 352, f"REPORT RequestId: {R3}\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
                   "Memory Size: 128 MB\tMax Memory Used: 60 MB\t\n"),
    ])
    s.store("us-east-1", ROUTER, "2025/11/24/[4]cccc", [
        (T0 + 320, f"START RequestId: {R4} Version: 4\n"),
        (T0 + 321, "[INFO]\t{iso}\t" + R4 + "\trouting /a to assets-us\n"),
        # A traceback written as events of their own: no prefix, no request id.
        (T0 + 322, "Traceback (most recent call last):\n"),
        (T0 + 322, '  File "/var/task/app.py", line 9, in handler\n'),
        (T0 + 325, f"END RequestId: {R4}\n"),
        (T0 + 325, f"REPORT RequestId: {R4}\tDuration: 4.00 ms\tBilled Duration: 5 ms\t"
                   "Memory Size: 128 MB\tMax Memory Used: 50 MB\t\n"),
    ])
    s.store("sa-east-1", CLOUDFRONT, "2025/11/24/dddd", [
        (T0 + 500, json.dumps({"EventType": "LambdaValidationError", "RequestId": "cf-1"})
         + "\n"),
    ])
    # Outside the window searched below.
    s.store("eu-west-1", AUTH, "2025/11/24/[7]eeee", [(T0 + 7_200_000, "late line\n")])
    return s


def _columns(line: str) -> list[str]:
    return line.split(None, 5)


def test_search_through_the_front_door_signs_for_the_domain_region_as_a_reader(
        seeded: Seeded, front_door: FrontDoor, deployment: Deployment,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The command against the service's contract: the person's own keys (environment),
    signed for the domain's region, admitted by the domain policy the program produces."""
    from ops.cli import run

    code, direct = seeded.search(*WINDOW)  # the same search on the node itself
    assert code == 0 and direct

    def search_as(identity: str, region: str) -> tuple[int, list[str], str]:
        sign_as(monkeypatch, front_door, identity)
        out = io.StringIO()
        code = run("search", lambda argv: search.main(argv, out=out), [
            "--endpoint", front_door.url, "--domain-region", region,
            "--index-prefix", seeded.prefix, *WINDOW])
        return code, out.getvalue().splitlines(), capsys.readouterr().err

    for reader in ("admin", "dashboards-user"):
        assert search_as(reader, deployment.region)[:2] == (0, direct), reader
    # Refused as the service refuses: a principal the policy does not name, and a reader
    # whose request is signed for another region than the domain's.
    mark = front_door.mark()
    for identity, region in (("nobody", deployment.region), ("admin", "eu-west-1")):
        code, lines, err = search_as(identity, region)
        assert (code, lines) == (3, []) and err.count("\n") == 1 and "403" in err, err
    assert len(front_door.decisions_since(mark)) == 2
    assert all(not d.admitted for d in front_door.decisions_since(mark))


def test_every_region_in_time_order_each_line_once(seeded: Seeded) -> None:
    code, lines = seeded.search(*WINDOW)
    expected = sorted(e for e in seeded.sent if e[0] < T0 + 3_600_000)
    assert code == 0
    assert [(c[0], c[1]) for c in map(_columns, lines)] == [
        (_iso(ts), region) for ts, _, region, _ in expected]
    # The message column is the line without its text-format prefix.
    assert _columns(lines[2])[5] == "viewer request /a marker-a1"


@pytest.mark.parametrize("argv, regions_and_levels", [
    (["--region", "ap-northeast-1"], [("ap-northeast-1", "-"), ("ap-northeast-1", "ERROR"),
                                      ("ap-northeast-1", "-"), ("ap-northeast-1", "-")]),
    (["--function", "origin-router", "--region", "us-east-1"],
     [("us-east-1", "-"), ("us-east-1", "INFO"), ("us-east-1", "ERROR"), ("us-east-1", "-"),
      ("us-east-1", "-"), ("us-east-1", "-")]),
    # WARN and above; CloudFront's error log has no level but is an error report; the Task
    # timed out notice and a traceback are errors.
    (["--level", "warn"], [("eu-west-1", "ERROR"), ("us-east-1", "ERROR"),
                           ("ap-northeast-1", "ERROR"), ("eu-west-1", "WARN"),
                           ("sa-east-1", "-")]),
    (["--level", "ERROR"], [("eu-west-1", "ERROR"), ("us-east-1", "ERROR"),
                            ("ap-northeast-1", "ERROR"), ("sa-east-1", "-")]),
    (["token", "expired"], [("eu-west-1", "WARN")]),
    (['"origin timeout"'], [("ap-northeast-1", "ERROR")]),
    (["after -origin"], [("eu-west-1", "ERROR")]),  # the Task timed out notice
    # The message is indexed without its header; a request id is found on its own field.
    ([R1], [("eu-west-1", "-"), ("eu-west-1", "INFO"), ("eu-west-1", "ERROR"),
            ("eu-west-1", "-"), ("eu-west-1", "-")]),
    (['"timed out after"'], [("eu-west-1", "ERROR")]),
])
def test_filters(seeded: Seeded, argv: list[str],
                 regions_and_levels: list[tuple[str, str]]) -> None:
    code, lines = seeded.search(*WINDOW, *argv)
    assert code == 0
    assert [(c[1], c[3]) for c in map(_columns, lines)] == regions_and_levels


def test_until_is_exclusive_and_nothing_found_is_exit_1(
        seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = seeded.search("--since", _iso(T0), "--until", _iso(T0 + 300))
    assert code == 0 and [_columns(x)[5].split()[0] for x in lines] == ["INIT_START"]
    code, lines = seeded.search("--since", _iso(T0 - 60_000), "--until", _iso(T0 - 1))
    assert code == 1 and lines == []
    assert "edgelogs search: no matching lines since 2025-11-24T15:59:00.000Z" \
        in capsys.readouterr().err


def test_a_prefix_with_no_indices_says_so(seeded: Seeded,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    seeded.prefix += "-typo"
    assert seeded.search(*WINDOW) == (1, [])
    assert capsys.readouterr().err == (f"edgelogs search: {seeded.url} has no "
                                       f"{seeded.prefix}-YYYY.MM.DD indices; is "
                                       "--index-prefix right?\n")


def test_a_request_id_shows_the_invocation_whole(seeded: Seeded) -> None:
    # No --since: a reported request can be days old.
    code, lines = seeded.search("--request-id", R1)
    assert code == 0
    assert [_columns(x)[5].split()[0] for x in lines] == [
        "INIT_START", "START", "viewer", _iso(T0 + 302), "END", "REPORT"]
    assert {_columns(x)[1] for x in lines} == {"eu-west-1"}
    # Found in whichever region served it.
    code, lines = seeded.search("--request-id", R3)
    assert code == 0 and {_columns(x)[1] for x in lines} == {"ap-northeast-1"}
    assert len(lines) == 4
    # Narrowed by level and words, still only that invocation's lines.
    assert seeded.search("--request-id", R1, "--level", "INFO")[1] == lines_of(seeded, R1)[2:4]
    assert len(seeded.search("--request-id", R1, "timed")[1]) == 1


def test_level_error_finds_timeouts_and_tracebacks_with_their_request(seeded: Seeded) -> None:
    code, lines = seeded.search(*WINDOW, "--level", "ERROR")
    assert code == 0
    assert [(c[1], c[3], c[4], c[5]) for c in map(_columns, lines)] == [
        ("eu-west-1", "ERROR", R1, f"{_iso(T0 + 302)} {R1} Task timed out after 5.00 seconds"),
        ("us-east-1", "ERROR", R4, "Traceback (most recent call last):"),
        ("ap-northeast-1", "ERROR", R3, "origin timeout after 30 s"),
        ("sa-east-1", "-", "-",
         '{"EventType": "LambdaValidationError", "RequestId": "cf-1"}'),
    ]
    # The traceback's next line names no request either, and is found by its invocation.
    code, lines = seeded.search("--request-id", R4)
    assert [_columns(x)[5] for x in lines][2:4] == [
        "Traceback (most recent call last):", 'File "/var/task/app.py", line 9, in handler']


def lines_of(seeded: Seeded, rid: str) -> list[str]:
    return seeded.search("--request-id", rid)[1]


def test_an_unknown_request_id_is_exit_1(seeded: Seeded,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert seeded.search("--request-id", "no-such-request") == (1, [])
    assert "edgelogs search: no lines of request no-such-request" in capsys.readouterr().err


def test_json_prints_the_stored_documents(seeded: Seeded) -> None:
    code, lines = seeded.search(*WINDOW, "--json")
    stored = {h["_id"]: h["_source"] for h in all_docs(seeded.url, f"{seeded.prefix}-*")}
    printed = [json.loads(line) for line in lines]
    assert code == 0 and len(printed) == len(stored) - 1  # all but the line outside
    assert all(doc in stored.values() for doc in printed)


def test_limit_shows_the_newest_lines_and_says_so(seeded: Seeded,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = seeded.search(*WINDOW, "--limit", "3")
    in_window = sorted(e for e in seeded.sent if e[0] < T0 + 3_600_000)
    assert code == 0 and [_columns(x)[0] for x in lines] == [_iso(e[0]) for e in in_window[-3:]]
    assert f"edgelogs search: showing the newest 3 of {len(in_window)} matching lines" \
        in capsys.readouterr().err


def test_follow_prints_each_new_line_once_even_when_it_is_older(seeded: Seeded) -> None:
    polls: list[int] = []

    def between_polls(_: float) -> None:
        polls.append(len(polls))
        if len(polls) == 1:
            # A region that delivers late: its line is older than everything printed.
            seeded.store("us-west-2", AUTH, "2025/11/24/[7]ffff",
                         [(T0 + 10, "{iso}\tr9\tINFO\tlate from us-west-2\n")])
            seeded.store("eu-west-1", AUTH, "2025/11/24/[7]aaaa",
                         [(T0 + 1000, "{iso}\tr8\tINFO\tnewer from eu-west-1\n")])

    code, lines = seeded.search("--since", _iso(T0 - 60_000), "--follow", "--max-polls", "3",
                                "--interval", "0.01", sleep=between_polls)
    assert code == 0 and len(polls) == 3
    first = len([e for e in seeded.sent if e[0] < T0 + 7_200_000 and "r9" not in e[3]
                 and "r8" not in e[3]]) + 1  # the line two hours later is in range too
    assert len(lines) == first + 2
    assert [_columns(x)[5] for x in lines[first:]] == ["late from us-west-2",
                                                       "newer from eu-west-1"]


def test_dashboards_sees_the_field_types_it_filters_and_charts_on(seeded: Seeded) -> None:
    # What an index pattern reads (_field_caps) and what Discover asks: a time range in its
    # own format, a histogram over time, a terms facet; the dates parse with the template's
    # RFC 3339 parser, the range with the format the query names.
    pattern = f"{seeded.prefix}-*"
    caps = call(seeded.url, "GET", f"{pattern}/_field_caps?fields=@timestamp,event.ingested,"
                "cloud.region,message,aws.lambda.request_id")["fields"]
    assert caps["@timestamp"]["date"]["searchable"] and caps["@timestamp"]["date"]["aggregatable"]
    assert caps["event.ingested"]["date"]["aggregatable"]
    assert caps["cloud.region"]["keyword"]["aggregatable"]
    assert caps["message"]["text"]["searchable"]
    # Filtered on, never charted: searchable, without doc values (issue 21).
    rid = caps["aws.lambda.request_id"]["keyword"]
    assert rid["searchable"] and not rid["aggregatable"]
    body = {
        "size": 0,
        "query": {"range": {"@timestamp": {"gte": "2025-11-24T15:59:00.000Z",
                                           "lte": "2025-11-24T16:00:00.400Z",
                                           "format": "strict_date_optional_time"}}},
        "aggs": {"per_100ms": {"date_histogram": {"field": "@timestamp",
                                                  "fixed_interval": "100ms",
                                                  "min_doc_count": 1}},
                 "regions": {"terms": {"field": "cloud.region"}}},
    }
    aggs = call(seeded.url, "POST", f"{pattern}/_search", body)["aggregations"]
    # T0 .. T0+400 ms: eu-west-1 7 lines (T0, 300-304, 400), us-east-1 6, ap-northeast-1 4.
    assert [(b["key_as_string"], b["doc_count"]) for b in aggs["per_100ms"]["buckets"]] == [
        ("2025-11-24T16:00:00.000Z", 1), ("2025-11-24T16:00:00.300Z", 15),
        ("2025-11-24T16:00:00.400Z", 1)]
    assert {b["key"]: b["doc_count"] for b in aggs["regions"]["buckets"]} == {
        "eu-west-1": 7, "us-east-1": 6, "ap-northeast-1": 4}


# One millisecond shared by more lines than several pages hold (issue 21: the search sorts on
# @timestamp alone, and pages by whole groups of one time).
CROWDED = T0 + 5_000
R5 = "11115111-2222-3333-4444-555555555555"
CROWD_WINDOW = ("--since", _iso(CROWDED - 60_000), "--until", _iso(CROWDED + 60_000))


def _lean(s: Seeded) -> None:
    """Stores the documents again without event.id, as issue 21's forwarder writes them: the
    search must order and page without it (_id holds the event id). (The test node has no
    scripting for _update_by_query.)"""
    lines = []
    for d in all_docs(s.url, f"{s.prefix}-*"):
        if "event.id" in d["_source"]:
            lines += [json.dumps({"index": {"_index": d["_index"], "_id": d["_id"]}}),
                      json.dumps({k: v for k, v in d["_source"].items() if k != "event.id"})]
    if lines:
        req = urllib.request.Request(f"{s.url}/_bulk?refresh=true", method="POST",
                                     data=("\n".join(lines) + "\n").encode(),
                                     headers={"content-type": "application/x-ndjson"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert not json.loads(resp.read())["errors"]
    assert not [d for d in all_docs(s.url, f"{s.prefix}-*") if "event.id" in d["_source"]]


def _ties(rid: str, numbers: range) -> list[tuple[int, str]]:
    return [(CROWDED, "{iso}\t" + rid + f"\tINFO\ttie {n:02d}\n") for n in numbers]


@pytest.fixture
def crowded(opensearch_url: str, index_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """30 lines at CROWDED from three regions, sent in the order tie 01 .. tie 30 (so their
    CloudWatch event ids grow in that order), pages of 7."""
    monkeypatch.setattr(paging, "PAGE", 7)
    s = Seeded(opensearch_url, index_prefix)
    stream = "2025/11/24/[7]gggg"
    s.store("eu-west-1", AUTH, stream,
            [(CROWDED - 1, f"START RequestId: {R5} Version: 7\n"), *_ties(R5, range(1, 11))])
    s.store("ap-northeast-1", AUTH, "2025/11/24/[7]hhhh", _ties("r6", range(11, 19)))
    s.store("us-east-1", ROUTER, "2025/11/24/[4]iiii", _ties("r7", range(19, 25)))
    s.store("eu-west-1", AUTH, stream, [*_ties(R5, range(25, 31)),
                                        (CROWDED + 1, f"END RequestId: {R5}\n"),
                                        (CROWDED + 1, f"REPORT RequestId: {R5}\tDuration: 2.00 "
                                                      "ms\tBilled Duration: 2 ms\tMemory Size: "
                                                      "128 MB\tMax Memory Used: 60 MB\t\n")])
    _lean(s)
    return s


def _messages(lines: list[str]) -> list[str]:
    return [_columns(x)[5].split(" RequestId")[0] for x in lines]


TIES = [f"tie {n:02d}" for n in range(1, 31)]


def test_lines_of_one_millisecond_print_once_each_in_event_id_order(crowded: Seeded) -> None:
    code, lines = crowded.search(*CROWD_WINDOW)
    assert code == 0 and _messages(lines) == ["START", *TIES, "END", "REPORT"]
    # The newest 10 end inside the crowded millisecond: its last 8 lines, not any 8 of it.
    code, lines = crowded.search(*CROWD_WINDOW, "--limit", "10")
    assert code == 0 and _messages(lines) == [*TIES[22:], "END", "REPORT"]
    assert {_columns(x)[0] for x in lines[:8]} == {_iso(CROWDED)}


def test_an_invocation_crowded_into_one_millisecond_is_whole_and_in_order(
        crowded: Seeded) -> None:
    code, lines = crowded.search("--request-id", R5)
    assert code == 0
    assert _messages(lines) == ["START", *TIES[:10], *TIES[24:], "END", "REPORT"]
    assert {_columns(x)[1] for x in lines} == {"eu-west-1"}


def test_follow_prints_a_crowded_millisecond_once_each(crowded: Seeded) -> None:
    later = CROWDED + 10_000

    def between_polls(_: float) -> None:
        if len(between) == 0:
            crowded.store("sa-east-1", AUTH, "2025/11/24/[7]jjjj",
                          [(later, "{iso}\tr8\tINFO\tnew " + f"{n:02d}\n") for n in range(1, 10)])
            crowded.store("eu-west-1", AUTH, "2025/11/24/[7]kkkk",
                          [(later, "{iso}\tr9\tINFO\tnew " + f"{n:02d}\n") for n in range(10, 21)])
            _lean(crowded)
        between.append(1)

    between: list[int] = []
    code, lines = crowded.search("--since", _iso(CROWDED - 60_000), "--follow", "--max-polls",
                                 "3", "--interval", "0.01", sleep=between_polls)
    assert code == 0 and len(between) == 3
    assert _messages(lines) == ["START", *TIES, "END", "REPORT",
                                *(f"new {n:02d}" for n in range(1, 21))]
