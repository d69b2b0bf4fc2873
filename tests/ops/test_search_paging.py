"""Paging on one date sort key (ops.search.paging), newest-N and --follow, on an in-memory node.

The node sorts on the date alone and orders equal dates arbitrarily: the stand-in below
shuffles them on every search, so a pager that relied on the node's order within a group
(search_after without a total order) would skip or repeat hits here.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from ops.search import paging
from ops.search.domain import Searcher
from ops.search.follow import Follower

T0 = 1_764_000_000_000  # 2025-11-24T16:00:00Z
# Two log groups' keys (the first half of an _id): G1 sorts before G2.
G1 = "0f" * 10
G2 = "a0" * 10
SORTABLE = ("@timestamp", "event.ingested")  # the only dates the log documents have
_MIN, _MAX = -(2**63), 2**63 - 1


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def doc(dt: int | None, ident: str, ingested: int | None = None,
        index: str = "lambda-edge-2025.11.24", **fields: Any) -> dict[str, Any]:
    """A stored document: `dt` ms after T0 (None: no @timestamp); _id `ident`."""
    src: dict[str, Any] = {"message": f"line {ident}", **fields}
    if dt is not None:
        src["@timestamp"] = iso(T0 + dt)
    if ingested is not None:
        src["event.ingested"] = iso(T0 + ingested)
    return {"_index": index, "_id": ident, "_source": src}


def _ms(text: Any) -> int:
    if isinstance(text, int):
        return text
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class Node:
    """Evaluates the query clauses, sort, size and _source the search code sends, over a
    list of documents; equal sort values come back in a new random order every time."""

    def __init__(self, docs: list[dict[str, Any]], seed: int = 0) -> None:
        self.docs = docs
        self.rng = random.Random(seed)
        self.bodies: list[dict[str, Any]] = []

    def matches(self, q: dict[str, Any], d: dict[str, Any]) -> bool:
        ((kind, arg),) = q.items()
        src = d["_source"]
        if kind == "match_all":
            return True
        if kind == "bool":
            must = arg.get("filter", []) + arg.get("must", [])
            should = arg.get("should", [])
            need = arg.get("minimum_should_match", 0 if must else 1) if should else 0
            return (all(self.matches(c, d) for c in must)
                    and not any(self.matches(c, d) for c in arg.get("must_not", []))
                    and sum(self.matches(c, d) for c in should) >= need)
        if kind == "ids":
            return d["_id"] in arg["values"]
        if kind == "exists":
            return arg["field"] in src
        if kind == "term":
            ((field, want),) = arg.items()
            return (d["_index"] if field == "_index" else src.get(field)) == want
        if kind == "range":
            ((field, bounds),) = arg.items()
            if field not in src:
                return False
            v = _ms(src[field])
            tests = {"gte": v.__ge__, "gt": v.__gt__, "lte": v.__le__, "lt": v.__lt__}
            return all(tests[k](_ms(b)) for k, b in bounds.items() if k != "format")
        raise AssertionError(f"the stand-in node does not know {kind}")

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        assert "search_after" not in body
        ((field, spec),) = (s for sort in body["sort"] for s in sort.items())
        assert field in SORTABLE and spec["unmapped_type"] == "date"
        desc = spec["order"] == "desc"
        first = spec.get("missing", "_last") == "_first"
        absent = _MAX if first == desc else _MIN  # what OpenSearch 2.19 answers

        def value(d: dict[str, Any]) -> int:
            return _ms(d["_source"][field]) if field in d["_source"] else absent

        found = [d for d in self.docs if self.matches(body["query"], d)]
        self.rng.shuffle(found)
        found.sort(key=value, reverse=desc)  # stable: equal values stay shuffled
        shown = body.get("_source", True)
        hits = []
        for d in found[:body["size"]]:
            src = (d["_source"] if shown is True else {} if shown is False
                   else {k: v for k, v in d["_source"].items() if k in shown})
            hits.append({"_index": d["_index"], "_id": d["_id"], "_source": src,
                         "sort": [value(d)]})
        return {"hits": {"hits": hits, "total": {"value": len(found), "relation": "eq"}},
                "_shards": {"total": 1}}


def ids(hits: Any) -> list[str]:
    return [h["_id"] for h in hits]


# Ties across page boundaries; two groups' events with one event id (G1's first).
TIES = [
    doc(0, f"{G1}-0001"),
    doc(1, f"{G2}-0002"), doc(1, f"{G1}-0003"), doc(1, f"{G1}-0002"),
    doc(2, f"{G1}-0004"),
    doc(3, f"{G1}-0006"), doc(3, f"{G2}-0005"),
]
TIES_IN_ORDER = [f"{G1}-0001", f"{G1}-0002", f"{G2}-0002", f"{G1}-0003", f"{G1}-0004",
                 f"{G2}-0005", f"{G1}-0006"]


@pytest.mark.parametrize("page", [1, 2, 3, 4, 7, 1000])
@pytest.mark.parametrize("seed", range(5))
def test_every_hit_once_in_time_then_event_id_then_group_order(page: int, seed: int) -> None:
    node = Node(TIES, seed)
    assert ids(paging.scan(node.search, {"match_all": {}}, page=page)) == TIES_IN_ORDER


@pytest.mark.parametrize("page", [1, 2, 3, 1000])
def test_descending_is_the_same_order_reversed(page: int) -> None:
    node = Node(TIES, seed=page)
    assert ids(paging.scan(node.search, {"match_all": {}}, descending=True, page=page)) == [
        f"{G1}-0006", f"{G2}-0005", f"{G1}-0004", f"{G1}-0003", f"{G2}-0002", f"{G1}-0002",
        f"{G1}-0001"]


# One millisecond holding more lines than three pages of 3, between two others.
CROWD = [doc(5, f"{G1}-0100"), doc(9, f"{G2}-0300")] + [
    doc(7, f"{g}-{n:04d}") for g, n in [
        (G2, 207), (G1, 201), (G1, 209), (G2, 201), (G1, 205), (G1, 203), (G2, 204),
        (G1, 208), (G1, 202), (G2, 206), (G1, 204)]]
CROWD_IN_ORDER = [
    f"{G1}-0100",
    f"{G1}-0201", f"{G2}-0201", f"{G1}-0202", f"{G1}-0203", f"{G1}-0204", f"{G2}-0204",
    f"{G1}-0205", f"{G2}-0206", f"{G2}-0207", f"{G1}-0208", f"{G1}-0209",
    f"{G2}-0300"]


@pytest.mark.parametrize("seed", range(5))
def test_a_time_shared_by_more_lines_than_a_page_is_read_whole(seed: int) -> None:
    node = Node(CROWD, seed)
    assert ids(paging.scan(node.search, {"match_all": {}}, page=3)) == CROWD_IN_ORDER
    # The group was read by excluding what was read at its time, never by skipping a page.
    excluded = [len(b["query"]["bool"]["must_not"][0]["bool"]["filter"][1]["ids"]["values"])
                for b in node.bodies if "must_not" in b["query"]["bool"]]
    assert excluded == [3, 6, 9]


def test_a_limit_stops_inside_a_group_at_its_first_hits() -> None:
    assert ids(paging.scan(Node(CROWD, 1).search, {"match_all": {}}, limit=4, page=3)) == [
        f"{G1}-0100", f"{G1}-0201", f"{G2}-0201", f"{G1}-0202"]
    assert ids(paging.scan(Node(CROWD, 2).search, {"match_all": {}}, descending=True,
                           limit=3, page=3)) == [f"{G2}-0300", f"{G1}-0209", f"{G1}-0208"]


def test_the_query_narrows_every_page() -> None:
    docs = [doc(dt, f"{G1}-{n:04d}", **{"cloud.region": region}) for dt, n, region in [
        (0, 1, "eu-west-1"), (0, 2, "us-east-1"), (0, 3, "eu-west-1"), (0, 4, "eu-west-1"),
        (1, 5, "us-east-1"), (1, 6, "eu-west-1"), (2, 7, "eu-west-1")]]
    node = Node(docs, 3)
    assert ids(paging.scan(node.search, {"term": {"cloud.region": "eu-west-1"}}, page=2)) == [
        f"{G1}-0001", f"{G1}-0003", f"{G1}-0004", f"{G1}-0006", f"{G1}-0007"]


def test_hashed_event_ids_sort_as_strings_among_decimal_ones() -> None:
    # An event without CloudWatch's decimal id has `h<40 hex>` as its event key.
    hashed = "h" + "3c" * 20
    docs = [doc(0, f"{G2}-{hashed}"), doc(0, f"{G1}-0009"), doc(0, f"{G2}-0010")]
    assert ids(paging.scan(Node(docs, 4).search, {"match_all": {}}, page=2)) == [
        f"{G1}-0009", f"{G2}-0010", f"{G2}-{hashed}"]


def test_lines_without_the_date_come_first_and_are_not_lost() -> None:
    docs = [doc(1, f"{G1}-0002"), doc(None, f"{G2}-0001"), doc(None, f"{G1}-0001"),
            doc(None, f"{G1}-0003"), doc(0, f"{G1}-0004")]
    for descending, expected in [
            (False, [f"{G1}-0001", f"{G2}-0001", f"{G1}-0003", f"{G1}-0004", f"{G1}-0002"]),
            (True, [f"{G1}-0003", f"{G2}-0001", f"{G1}-0001", f"{G1}-0002", f"{G1}-0004"])]:
        for page in (1, 2, 4):
            node = Node(docs, page)
            assert ids(paging.scan(node.search, {"match_all": {}}, descending=descending,
                                   page=page)) == expected, (descending, page)


def test_the_same_id_in_two_indices_is_two_hits() -> None:
    docs = [doc(0, f"{G1}-0001", index="lambda-edge-2025.11.25"),
            doc(0, f"{G1}-0001", index="lambda-edge-2025.11.24")]
    hits = list(paging.scan(Node(docs).search, {"match_all": {}}, page=1))
    assert [h["_index"] for h in hits] == ["lambda-edge-2025.11.24", "lambda-edge-2025.11.25"]


def _searcher(node: Node) -> Searcher:
    client = SimpleNamespace(search=lambda index, body, params: node.search(body))
    return Searcher(client, SimpleNamespace(index_prefix="lambda-edge"))  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5))
def test_the_newest_lines_cut_a_crowded_time_at_its_last_ids(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE", 3)
    newest = _searcher(Node(CROWD, seed)).last({"match_all": {}}, 4, True)
    # In time order: the crowded millisecond's three greatest ids, then the line after it.
    assert ids(newest.hits) == [f"{G2}-0207", f"{G1}-0208", f"{G1}-0209",
                                f"{G2}-0300"]
    assert (newest.total, newest.exact, newest.indices) == (13, True, True)


def test_the_newest_lines_when_all_fit_are_in_order() -> None:
    newest = _searcher(Node(TIES, 7)).last({"match_all": {}}, 10, ["message"])
    assert ids(newest.hits) == TIES_IN_ORDER
    assert newest.hits[0]["_source"] == {"message": f"line {G1}-0001"}
    newest = _searcher(Node(TIES, 8)).last({"match_all": {}}, 7, True)
    assert ids(newest.hits) == TIES_IN_ORDER


def test_follow_prints_each_new_line_once_though_many_share_their_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE", 3)
    # Seven lines already searchable, built in one batch (one event.ingested).
    old = [doc(0, f"{G1}-{n:04d}", ingested=100) for n in range(1, 8)]
    node = Node(list(old), 5)
    follower = Follower(_searcher(node), {"match_all": {}}, True)
    follower.prime()
    assert follower.watermark == T0 + 100 and sorted(follower.seen) == ids(old)
    assert follower.poll() == []
    # Two batches arrive at once: eight lines of one millisecond, older than the others.
    node.docs += [doc(-5, f"{g}-{n:04d}", ingested=150) for g, n in [
        (G2, 13), (G1, 12), (G2, 11), (G1, 14), (G1, 11), (G2, 12), (G1, 13), (G2, 14)]]
    assert ids(follower.poll()) == [f"{G1}-0011", f"{G2}-0011", f"{G1}-0012", f"{G2}-0012",
                                    f"{G1}-0013", f"{G2}-0013", f"{G1}-0014", f"{G2}-0014"]
    assert follower.poll() == []
    assert follower.watermark == T0 + 150
