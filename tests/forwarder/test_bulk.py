"""The shipping loop against a scripted engine: what is retried, what is not, and when."""

from __future__ import annotations

import random
from typing import Any

import pytest
from forwarder import bulk
from forwarder.bulk import Shipper, Stats
from forwarder.errors import SettingsError
from forwarder.settings import DEFAULT_BULK_CONCURRENCY, Settings
from opensearchpy.exceptions import TransportError

from tests.forwarder.fakes import (
    FakeClient,
    FakeClock,
    Gate,
    conn_error,
    http_error,
    parse_body,
)


def entry(i: int, size: int = 0) -> str:
    """A bulk entry of the same length for every i < 10000."""
    return (f'{{"create":{{"_id":"id{i:04d}"}}}}\n'
            f'{{"n":{i},"pad":"{"x" * (size + 4 - len(str(i)))}"}}\n')


INDEX = "p-2025.11.24"


def on(lines: list[str], index: str = INDEX) -> tuple[list[str], list[str]]:
    """ship()'s arguments: every entry into ``index``."""
    return lines, [index] * len(lines)


def shipper(client: FakeClient, clock: FakeClock, time_left: float = 60.0,
            max_bytes: int = 5 * 1024 * 1024, max_docs: int = 10_000) -> Shipper:
    return Shipper(client, clock.now + time_left, 3.0, max_bytes, max_docs, 30.0, Stats(),
                   clock=clock, sleep=clock.sleep, rng=random.Random(1))


def test_everything_stored_in_one_request() -> None:
    client, clock = FakeClient(), FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(100)]))
    assert not out.undelivered and not out.rejected
    assert (s.stats.stored, s.stats.requests, s.stats.retries) == (100, 1, 0)
    assert len(client.store) == 100


def test_chunks_bounded_by_bytes_and_count() -> None:
    lines = [entry(i, 100) for i in range(50)]
    size = len(lines[0])
    s = shipper(FakeClient(), FakeClock(), max_bytes=size * 10 + 5, max_docs=7)
    chunks = list(s.chunks(lines, list(range(50)), [INDEX] * 50))
    assert [len(c) for c in chunks] == [7] * 7 + [1]
    s = shipper(FakeClient(), FakeClock(), max_bytes=size * 4 + 5)
    assert [len(c) for c in s.chunks(lines, list(range(50)), [INDEX] * 50)] == [4] * 12 + [2]
    # One oversized entry travels alone.
    s = shipper(FakeClient(), FakeClock(), max_bytes=10)
    assert [len(c) for c in s.chunks(lines, [0, 1, 2], [INDEX] * len(lines))] == [1, 1, 1]


def test_request_bodies_respect_the_byte_limit() -> None:
    client, clock = FakeClient(), FakeClock()
    lines = [entry(i, 500) for i in range(200)]
    s = shipper(client, clock, max_bytes=20_000)
    s.ship(*on(lines))
    assert all(len(body) <= 20_000 for body in client.bodies)
    assert sum(len(parse_body(b)) for b in client.bodies) == 200 and len(client.store) == 200


def test_conflict_counts_as_already_present() -> None:
    client, clock = FakeClient(), FakeClock()
    lines = [entry(i) for i in range(10)]
    shipper(client, clock).ship(*on(lines[:4]))
    s = shipper(client, clock)
    out = s.ship(*on(lines))
    assert not out.undelivered
    assert (s.stats.stored, s.stats.already_present) == (6, 4)


def test_only_failed_items_are_retried_with_backoff() -> None:
    # Every odd document is refused (429) on its first try, 503 on its second.
    client = FakeClient(rule=lambda attempt, meta, src: (
        {1: 429, 2: 503}.get(attempt, 201) if src["n"] % 2 else 201))
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(20)]))
    assert not out.undelivered and len(client.store) == 20
    sizes = [len(parse_body(b)) for b in client.bodies]
    assert sizes == [20, 10, 10]
    assert s.stats.retries == 20 and s.stats.stored == 20
    # Full jitter: each sleep between 0 and base * 2**attempt.
    assert len(clock.slept) == 2
    assert 0 <= clock.slept[0] <= bulk.BACKOFF_BASE_S * 2
    assert 0 <= clock.slept[1] <= bulk.BACKOFF_BASE_S * 4


def test_content_rejections_are_reported_not_retried() -> None:
    client = FakeClient(rule=lambda attempt, meta, src: 400 if src["n"] == 3 else 201)
    s = shipper(client, FakeClock())
    out = s.ship(*on([entry(i) for i in range(5)]))
    assert [(pos, status) for pos, status, _ in out.rejected] == [(3, 400)]
    assert "mapper_parsing_exception" in out.rejected[0][2]
    assert not out.undelivered and len(client.bodies) == 1


# The classification table of bulk.py's docstring, item by item: what the engine answers for
# one document on its first try -> what the shipper does with it.
ITEM_TABLE = [
    # blocked or busy: retried (the document is stored on its second try)
    ((429, "es_rejected_execution_exception"), "retried"),
    ((429, "cluster_block_exception"), "retried"),  # flood stage, OpenSearch 2.x
    ((403, "cluster_block_exception"), "retried"),  # index.blocks.write, cluster read-only
    ((403, "index_create_block_exception"), "retried"),  # cluster.blocks.create_index
    ((500, "exception"), "retried"),
    ((503, "unavailable_shards_exception"), "retried"),
    # the document's content: errors index
    ((400, "mapper_parsing_exception"), "rejected"),
    ((400, "document_parsing_exception"), "rejected"),
    ((400, "illegal_argument_exception"), "rejected"),
    ((400, "strict_dynamic_mapping_exception"), "rejected"),
    # the index or the caller, not the document: undelivered, no retry here
    ((400, "index_closed_exception"), "undelivered"),
    ((400, "validation_exception"), "undelivered"),  # max shards per node reached
    ((400, "invalid_index_name_exception"), "undelivered"),
    ((403, "security_exception"), "undelivered"),
    ((404, "index_not_found_exception"), "undelivered"),
]


@pytest.mark.parametrize(("answer", "expected"), ITEM_TABLE,
                         ids=[f"{s}-{t}" for (s, t), _ in ITEM_TABLE])
def test_item_errors_are_classified(answer: tuple[int, str], expected: str) -> None:
    client = FakeClient(rule=lambda attempt, meta, src: (
        answer if src["n"] == 1 and attempt == 1 else 201))
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(3)]))
    stored = sorted(client.store)
    if expected == "retried":
        assert not out.undelivered and not out.rejected
        assert len(stored) == 3 and s.stats.retries == 1 and len(client.bodies) == 2
    elif expected == "rejected":
        assert [(pos, status) for pos, status, _ in out.rejected] == [(1, answer[0])]
        assert answer[1] in out.rejected[0][2]
        assert not out.undelivered and len(stored) == 2 and len(client.bodies) == 1
    else:
        assert out.undelivered == [1] and not out.rejected
        assert answer[1] in out.reason
        assert len(stored) == 2 and len(client.bodies) == 1 and clock.slept == []


def test_a_block_that_never_lifts_leaves_the_documents_undelivered() -> None:
    # Never sent to the errors index: once the block is lifted, Lambda's retry (or the
    # failure queue's replay) stores them.
    client = FakeClient(rule=lambda attempt, meta, src: (403, "cluster_block_exception"))
    clock = FakeClock()
    s = shipper(client, clock, time_left=20.0)
    out = s.ship(*on([entry(i) for i in range(4)]))
    assert out.undelivered == [0, 1, 2, 3] and not out.rejected
    assert "cluster_block_exception" in out.reason and "gave up" in out.reason
    assert len(client.bodies) > 2 and not client.store


def blocked_request(error_type: str, status: int = 403) -> Exception:
    reason = "blocked by: [FORBIDDEN/8/index write (api)];"
    return TransportError(status, error_type, {"error": {
        "root_cause": [{"type": error_type, "reason": reason}],
        "type": error_type, "reason": reason}, "status": status})


@pytest.mark.parametrize("error", [
    blocked_request("cluster_block_exception"),
    blocked_request("index_create_block_exception"),
    blocked_request("cluster_block_exception", 429),  # flood stage on a whole request
], ids=["403-cluster_block", "403-index_create_block", "429-flood_stage"])
def test_a_blocked_request_is_retried(error: Exception) -> None:
    client = FakeClient(request_errors=[error, error, None])
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(5)]))
    assert not out.undelivered and not out.rejected and len(client.store) == 5
    assert s.stats.requests == 3 and len(clock.slept) == 2


@pytest.mark.parametrize("info", [
    # The AWS front door's refusals carry no engine error type.
    {"message": "The request signature we calculated does not match the signature you "
                "provided."},
    {"Message": "User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to "
                "perform: es:ESHttpPost"},
    {"message": "Credential should be scoped to a valid region."},
], ids=["signature", "not-authorized", "wrong-region"])
def test_a_front_door_403_is_not_retried(info: dict[str, str]) -> None:
    client = FakeClient(request_errors=[TransportError(403, "Forbidden", info)])
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(5)]))
    assert out.undelivered == [0, 1, 2, 3, 4] and not out.rejected
    assert "403" in out.reason and clock.slept == [] and s.stats.requests == 1


def test_whole_request_failures_are_retried() -> None:
    client = FakeClient(request_errors=[conn_error(), http_error(429), http_error(502), None])
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(5)]))
    assert not out.undelivered and len(client.store) == 5
    assert s.stats.requests == 4 and len(clock.slept) == 3


def test_non_retryable_request_error_fails_fast() -> None:
    client = FakeClient(request_errors=[http_error(403, "security_exception")])
    clock = FakeClock()
    s = shipper(client, clock)
    out = s.ship(*on([entry(i) for i in range(5)]))
    assert out.undelivered == [0, 1, 2, 3, 4]
    assert "403" in out.reason and clock.slept == []


def test_request_too_large_is_split() -> None:
    client = FakeClient(request_errors=[http_error(413), http_error(413)])
    s = shipper(client, FakeClock())
    out = s.ship(*on([entry(i) for i in range(8)]))
    assert not out.undelivered and len(client.store) == 8
    assert [len(parse_body(b)) for b in client.bodies] == [8, 4, 2, 2, 4]


def test_gives_up_within_the_time_left() -> None:
    client = FakeClient(rule=lambda attempt, meta, src: 429)
    clock = FakeClock()
    s = shipper(client, clock, time_left=10.0)  # 3 s of it is the safety margin
    out = s.ship(*on([entry(i) for i in range(4)]))
    assert out.undelivered == [0, 1, 2, 3]
    assert "429" in out.reason and "gave up" in out.reason
    assert clock.now <= 1000.0 + 10.0 - 3.0
    assert len(client.bodies) > 3  # it did try, several times


def test_no_request_once_the_margin_is_reached() -> None:
    client = FakeClient()
    s = shipper(client, FakeClock(), time_left=2.0)  # less than the 3 s margin
    out = s.ship(*on([entry(i) for i in range(4)]))
    assert out.undelivered == [0, 1, 2, 3] and client.bodies == []
    assert "out of time" in out.reason


def test_connection_errors_are_described_briefly() -> None:
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import ConnectionTimeout

    refused = OSConnectionError("N/A", "x", Exception(
        "HTTPConnectionPool(host='127.0.0.1', port=9272): Max retries exceeded with url: "
        "/_bulk?filter_path=a (Caused by NewConnectionError(\"<conn>: Failed to establish a "
        "new connection: [Errno 111] Connection refused\"))"))
    assert bulk._describe(refused) == "connection error: [Errno 111] Connection refused"
    slow = ConnectionTimeout("TIMEOUT", "HTTPConnectionPool(...): Read timed out. (read "
                             "timeout=3.0)", Exception("x"))
    assert bulk._describe(slow).startswith("timed out: Read timed out")
    assert bulk._describe(http_error(403, "security_exception")).startswith("HTTP 403")


def test_each_request_posts_to_one_index_and_names_none_in_its_body() -> None:
    """POST /<index>/_bulk only (the domain refuses an explicit index in the body): a
    chunk never mixes indices, also in retry rounds and across a midnight."""
    days = ["p-2025.11.24", "p-2025.11.25"]
    lines = [entry(i) for i in range(40)]
    indices = [days[(i // 3) % 2] for i in range(40)]  # interleaved, as around midnight
    client, clock = FakeClient(rule=lambda attempt, meta, src: 429 if attempt == 1
                               and src["n"] % 5 == 0 else 201), FakeClock()
    s = shipper(client, clock, max_docs=8)
    out = s.ship(lines, indices)
    assert not out.undelivered and not out.rejected and s.stats.stored == 40
    assert set(client.bulk_indices) == set(days)
    for i, index in enumerate(indices):
        assert client.store[(index, f"id{i:04d}")]["n"] == i
    for body in client.bodies:
        assert b"_index" not in body
    assert [list(c) for c in s.chunks(lines, range(6), indices)] == [[0, 1, 2], [3, 4, 5]]
    assert [list(c) for c in s.chunks(lines, range(3), indices)] == [[0, 1, 2]]


# -- several requests in flight (BULK_CONCURRENCY) ------------------------------------------

def gated(monkeypatch: pytest.MonkeyPatch, client: FakeClient, **kwargs: Any) -> Gate:
    """A Gate in front of ``client``, standing in for the shipper's wait for answers."""
    gate = Gate(client, **kwargs)
    monkeypatch.setattr(bulk, "wait", gate.wait)
    return gate


def concurrent(client: Any, clock: FakeClock, n: int, **kwargs: Any) -> Shipper:
    s = shipper(client, clock, **kwargs)
    s.concurrency = n
    return s


@pytest.mark.parametrize("n", [2, 3, 4])
def test_at_most_n_requests_in_flight(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    lines = [entry(i, 1000) for i in range(100)]
    client, clock = FakeClient(), FakeClock()
    gate = gated(monkeypatch, client)
    s = concurrent(gate, clock, n, max_bytes=len(lines[0]) * 10)  # 10 chunks
    out = s.ship(*on(lines))
    assert not out.undelivered and not out.rejected and len(client.store) == 100
    assert (s.stats.stored, s.stats.requests) == (100, 10)
    # The shipper waited with n in flight until fewer than n chunks were left, never more,
    # and as many were really held in the client at once.
    assert gate.in_flight == [n] * (10 - n + 1) + list(range(n - 1, 0, -1))
    assert gate.max_held == n


def item_rule(attempt: int, meta: dict[str, Any], src: dict[str, Any]) -> int:
    """Busy on a first try (every 3rd), refused for content (every 7th), or not the
    document's fault (every 11th, 404)."""
    n = src["n"]
    if n % 11 == 5:
        return 404
    if n % 7 == 2:
        return 400
    if n % 3 == 0 and attempt == 1:
        return 429
    return 201


@pytest.mark.parametrize("order", ["oldest", "newest", "shuffled"])
def test_outcome_does_not_depend_on_the_order_answers_arrive(
        monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    lines = [entry(i, 200) for i in range(120)]
    max_bytes = len(lines[0]) * 9
    seq_client, seq_clock = FakeClient(rule=item_rule), FakeClock()
    seq = shipper(seq_client, seq_clock, max_bytes=max_bytes)
    expected = seq.ship(*on(lines))

    rng = random.Random(7)
    pick = {"oldest": lambda k: 0, "newest": lambda k: k - 1,
            "shuffled": lambda k: rng.randrange(k)}[order]
    client = FakeClient(rule=item_rule)
    gate = gated(monkeypatch, client, pick=pick)
    s = concurrent(gate, FakeClock(), 4, max_bytes=max_bytes)
    out = s.ship(*on(lines))

    assert (out.rejected, out.undelivered) == (expected.rejected, expected.undelivered)
    assert [pos for pos, _, _ in out.rejected] == [i for i in range(120) if i % 7 == 2
                                                   and i % 11 != 5]
    assert out.undelivered == [i for i in range(120) if i % 11 == 5]
    for name in ("stored", "already_present", "retries", "requests", "bytes_sent", "rounds"):
        assert getattr(s.stats, name) == getattr(seq.stats, name), name
    assert client.store == seq_client.store  # every document stored once, the same ones
    # The very same requests, only sent in another order: a retry round lists its entries
    # in the batch's order, whichever answer came first.
    assert sorted(client.bodies) == sorted(seq_client.bodies)
    assert max(gate.in_flight) == 4 and gate.max_held == 4


def test_request_too_large_is_split_while_others_are_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [entry(i, 1000) for i in range(64)]
    size = len(lines[0])
    client = FakeClient()
    # The engine takes at most 3 entries a request; the shipper cuts chunks of 8.
    gate = gated(monkeypatch, client, max_body=size * 3, pick=lambda k: k - 1)
    s = concurrent(gate, FakeClock(), 4, max_bytes=size * 8)
    out = s.ship(*on(lines))
    assert not out.undelivered and not out.rejected
    assert sorted(client.store) == sorted((INDEX, f"id{i:04d}") for i in range(64))
    stored_bodies = [body for _, _, body in gate.sent if len(body) <= size * 3]
    assert sorted(len(parse_body(b)) for b in stored_bodies) == [2] * 32  # 8 -> 4 -> 2
    assert gate.refused == 8 + 16 and s.stats.requests == 8 + 16 + 32
    assert s.stats.stored == 64 and s.stats.retries == 0 and s.stats.rounds == 1
    assert max(gate.in_flight) == 4 and gate.max_held == 4


def test_no_request_starts_past_the_deadline_with_requests_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [entry(i, 1000) for i in range(40)]
    clock = FakeClock()
    client = FakeClient()

    def a_second_passes() -> None:  # each answer comes a second after the one before
        clock.now += 1.0

    gate = gated(monkeypatch, client, clock=clock, on_release=a_second_passes)
    s = concurrent(gate, clock, 3, time_left=8.0, max_bytes=len(lines[0]) * 2)  # 20 chunks
    deadline, margin = clock.now + 8.0, 3.0
    out = s.ship(*on(lines))
    # 8 s, 3 of them the margin: requests start at t=0 (3 of them), then one a second
    # while at least MIN_REQUEST_S is left: at t=1, 2, 3, 4 (4.5 is the last possible).
    starts = [t - 1000.0 for t, _, _ in gate.sent]
    assert starts == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    for t, timeout, _ in gate.sent:
        assert timeout == min(30.0, deadline - margin - t)  # cut to the time left
        assert deadline - margin - t >= bulk.MIN_REQUEST_S
    # Those in flight were answered and stored; the rest is undelivered, nothing lost.
    assert s.stats.stored == 14 and len(client.store) == 14
    assert out.undelivered == list(range(14, 40))
    assert "out of time" in out.reason and not out.rejected


def test_a_failed_request_retried_in_the_next_round_with_others_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [entry(i, 1000) for i in range(30)]
    client = FakeClient(request_errors=[None, conn_error(), None, http_error(503)])
    clock = FakeClock()
    gate = gated(monkeypatch, client, pick=lambda k: k - 1)
    s = concurrent(gate, clock, 2, max_bytes=len(lines[0]) * 5)  # 6 chunks
    out = s.ship(*on(lines))
    assert not out.undelivered and len(client.store) == 30
    assert s.stats.rounds == 2 and s.stats.retries == 10 and len(clock.slept) == 1
    # Answered newest first: chunks 3 (10-14) and 5 (20-24) failed, and were sent again
    # as they were, each in order.
    assert s.stats.requests == 6 + 2
    resent = [[src["n"] for _, src in parse_body(body)] for _, _, body in gate.sent[6:]]
    assert sorted(resent) == [list(range(10, 15)), list(range(20, 25))]


def test_bulk_concurrency_setting() -> None:
    env = {"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9200", "AWS_REGION": "eu-west-1"}
    assert Settings.from_env(env).bulk_concurrency == DEFAULT_BULK_CONCURRENCY
    assert Settings.from_env({**env, "BULK_CONCURRENCY": "4"}).bulk_concurrency == 4
    assert Settings.from_env({**env, "BULK_CONCURRENCY": "1"}).bulk_concurrency == 1
    for bad in ("0", "5", "two"):
        with pytest.raises(SettingsError, match="BULK_CONCURRENCY"):
            Settings.from_env({**env, "BULK_CONCURRENCY": bad})


def test_requests_in_flight_each_post_to_one_index(monkeypatch: pytest.MonkeyPatch) -> None:
    days = ["p-2025.11.24", "p-2025.11.25"]
    lines = [entry(i, 1000) for i in range(60)]
    indices = [days[(i // 7) % 2] for i in range(60)]  # interleaved, as around midnight
    client = FakeClient(rule=lambda attempt, meta, src: 429 if attempt == 1
                        and src["n"] % 5 == 0 else 201)
    gate = gated(monkeypatch, client, pick=lambda k: k - 1)
    s = concurrent(gate, FakeClock(), 3, max_docs=8)
    out = s.ship(lines, indices)
    assert not out.undelivered and not out.rejected and s.stats.stored == 60
    for i, index in enumerate(indices):  # stored in the index its request was posted to
        assert client.store[(index, f"id{i:04d}")]["n"] == i
    assert s.stats.rounds == 2 and max(gate.in_flight) == 3


def test_a_round_is_cut_in_even_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [entry(i, 100) for i in range(90)]
    size = len(lines[0])
    monkeypatch.setattr(bulk, "MIN_SPLIT_BYTES", size)

    def cut(n: int, shares: int | None = None, **kwargs: Any) -> list[int]:
        s = concurrent(FakeClient(), FakeClock(), n, **kwargs)
        return [len(c) for c in s.chunks(lines, range(90), [INDEX] * 90, shares=shares)]

    assert cut(3) == [30, 30, 30]  # one share per request in flight, ending together
    assert cut(2, max_bytes=size * 25) == [22, 23, 22, 23]  # two rounds of two, none > 25
    assert cut(4, max_docs=20) == [20, 2, 20, 3, 20, 2, 20, 3]  # max_docs still holds
    assert cut(3, shares=1) == [90]  # one share: the greedy cut alone
    monkeypatch.setattr(bulk, "MIN_SPLIT_BYTES", size * 40)
    assert cut(3) == [45, 45]  # no share under MIN_SPLIT_BYTES


class Builder:
    """Stands in for documents.build_parts: fills ``lines``/``indices`` a part at a time and
    yields each part's positions; notes what the gate held when each part was built."""

    def __init__(self, gate: Gate, sizes: list[int], in_flight: int,
                 clock: FakeClock | None = None, slow_from: int | None = None) -> None:
        self.gate, self.sizes, self.clock, self.slow_from = gate, sizes, clock, slow_from
        self.limit = in_flight
        self.lines: list[str] = []
        self.indices: list[str] = []
        self.sent_while_building: list[int] = []
        self.finished = False

    def __iter__(self) -> Any:
        for k, size in enumerate(self.sizes):
            if k:
                # The parts before this one must reach the engine (as many as may be in
                # flight) while this one is built: wait for them. A shipper that built the
                # next part before sending the last one would hang here.
                with self.gate.cond:
                    assert self.gate.cond.wait_for(
                        lambda k=k: len(self.gate.sent) >= min(k, self.limit), 10.0)
                    self.sent_while_building.append(len(self.gate.sent))
            if self.clock is not None and k == self.slow_from:
                self.clock.now += 60.0  # building this part took the rest of the time
            start = len(self.lines)
            self.lines += [entry(i, 1000) for i in range(start, start + size)]
            self.indices += [INDEX] * size
            yield range(start, len(self.lines))
        self.finished = True


def test_each_part_is_sent_while_the_next_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FakeClient()
    gate = gated(monkeypatch, client)
    builder = Builder(gate, [10, 10, 10, 7], 2)
    s = concurrent(gate, FakeClock(), 2)
    out = s.ship(builder.lines, builder.indices, builder)
    assert not out.undelivered and not out.rejected and builder.finished
    # Parts 2 and 3 were built with the ones before in flight; part 4 with two in flight
    # and part 3 waiting for a free slot.
    assert builder.sent_while_building == [1, 2, 2]
    # One request a part, in the order built; every entry stored once.
    assert [[src["n"] for _, src in parse_body(body)] for _, _, body in gate.sent] == [
        list(range(0, 10)), list(range(10, 20)), list(range(20, 30)), list(range(30, 37))]
    assert sorted(client.store) == sorted((INDEX, f"id{i:04d}") for i in range(37))
    assert (s.stats.stored, s.stats.requests, s.stats.rounds) == (37, 4, 1)
    assert max(gate.in_flight) == 2


def test_parts_not_sent_in_time_are_undelivered(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    client = FakeClient()
    gate = gated(monkeypatch, client, clock=clock)
    builder = Builder(gate, [5, 5, 5, 5], 2, clock=clock, slow_from=2)
    s = concurrent(gate, clock, 2, time_left=30.0)
    out = s.ship(builder.lines, builder.indices, builder)
    # The two parts sent in time are stored; the rest was still built, never sent, and is
    # reported undelivered: nothing is lost and nothing is counted twice.
    assert builder.finished and len(gate.sent) == 2
    assert sorted(client.store) == sorted((INDEX, f"id{i:04d}") for i in range(10))
    assert out.undelivered == list(range(10, 20)) and "out of time" in out.reason
    assert s.stats.stored == 10 and not out.rejected


def test_parts_retried_in_a_later_round(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FakeClient(request_errors=[None, http_error(503)],
                        rule=lambda attempt, meta, src: 429 if attempt == 1
                        and src["n"] % 4 == 0 else 201)
    clock = FakeClock()
    gate = gated(monkeypatch, client)
    builder = Builder(gate, [8, 8, 8], 2)
    s = concurrent(gate, clock, 2)
    out = s.ship(builder.lines, builder.indices, builder)
    assert not out.undelivered and not out.rejected and builder.finished
    assert sorted(client.store) == sorted((INDEX, f"id{i:04d}") for i in range(24))
    # Round 2 resends 0, 4, 16, 20 (429) and 8-15 (503), of which 8 and 12 meet their first
    # 429 and go to round 3.
    assert s.stats.stored == 24 and s.stats.rounds == 3 and len(clock.slept) == 2
