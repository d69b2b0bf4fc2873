"""Test doubles for the engine: a scripted bulk client, a clock that sleeps instantly."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

# Decides the status of one document: (attempt number of this document, action, source) ->
# status, or (status, error type) to choose the type the engine names.
Rule = Callable[[int, dict[str, Any], dict[str, Any]], "int | tuple[int, str]"]


def parse_body(body: bytes) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(action, source) for action, source, _ in parse_body_raw(body)]


def parse_body_raw(body: bytes) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    lines = body.decode("ascii").split("\n")
    assert lines[-1] == "", "a bulk body ends with a newline"
    lines = lines[:-1]
    assert len(lines) % 2 == 0
    return [(json.loads(lines[i]), json.loads(lines[i + 1]), lines[i + 1])
            for i in range(0, len(lines), 2)]


def has_duplicate_keys(text: str) -> bool:
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        keys = [k for k, _ in items]
        found = found or len(keys) != len(set(keys))
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


class FakeIndices:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    def get_index_template(self, name: str, params: Any = None) -> dict[str, Any]:
        self.client.calls.append(("get_template", name))
        if name not in self.client.templates:
            raise NotFoundError(404, "index_template_missing_exception", {})
        return {"index_templates": [{"name": name,
                                     "index_template": self.client.templates[name]}]}

    def put_index_template(self, name: str, body: dict[str, Any], params: Any = None) -> Any:
        self.client.calls.append(("put_template", name))
        if self.client.template_error is not None:
            raise self.client.template_error
        self.client.templates[name] = body
        return {"acknowledged": True}


class FakeISM:
    """The ISM policy API as the plugin documents it (or its absence, ``present=False``).

    GET answers 404 for a missing policy, else the policy with its _seq_no/_primary_term.
    PUT creates (409 if it exists and no if_seq_no is given), or updates only when
    if_seq_no/if_primary_term match the stored ones (409 otherwise).
    https://docs.opensearch.org/latest/im-plugin/ism/api/
    """

    def __init__(self, client: FakeClient, present: bool = True) -> None:
        self.client = client
        self.present = present
        self.policies: dict[str, dict[str, Any]] = {}  # id -> {"policy", "_seq_no", ...}
        self.error: Exception | None = None  # raised by every request while set
        self.seq_no = 0

    def perform_request(self, method: str, url: str, params: Any = None,
                        body: Any = None) -> Any:
        self.client.calls.append((f"{method.lower()}_policy", url.rsplit("/", 1)[-1]))
        if self.error is not None:
            raise self.error
        if not self.present or not url.startswith("/_plugins/_ism/policies/"):
            raise TransportError(400, "no handler", {
                "error": f"no handler found for uri [{url}] and method [{method}]"})
        pid = url.rsplit("/", 1)[-1]
        params = params or {}
        found = self.policies.get(pid)
        if method == "GET":
            if found is None:
                raise NotFoundError(404, "status_exception", {"error": {
                    "type": "status_exception", "reason": "Policy not found"}})
            return {"_id": pid, **found}
        assert method == "PUT" and isinstance(body, dict) and set(body) == {"policy"}
        if found is not None and (params.get("if_seq_no") != found["_seq_no"]
                                  or params.get("if_primary_term") != found["_primary_term"]):
            raise TransportError(409, "version_conflict_engine_exception", {"error": {
                "type": "version_conflict_engine_exception", "reason": "conflict"}})
        self.seq_no += 1
        self.policies[pid] = {"_seq_no": self.seq_no, "_primary_term": 1,
                              "policy": {"policy_id": pid, **body["policy"]}}
        return {"_id": pid, "_seq_no": self.seq_no, "_primary_term": 1}


class FakeClient:
    """Stores documents by (index, _id) like the engine's create op does."""

    def __init__(self, rule: Rule | None = None,
                 request_errors: list[Exception | None] | None = None) -> None:
        self.rule = rule
        self.request_errors = list(request_errors or [])
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.attempts: dict[tuple[str, str], int] = {}
        self.bodies: list[bytes] = []
        self.calls: list[tuple[str, str]] = []
        self.bulk_indices: list[str | None] = []  # the URL index of each bulk request
        self.templates: dict[str, Any] = {}
        self.template_error: Exception | None = None
        self.indices = FakeIndices(self)
        self.transport = FakeISM(self)

    def bulk(self, body: bytes, index: str | None = None, params: Any = None,
             headers: Any = None) -> dict[str, Any]:
        """POST /<index>/_bulk: the index comes from the URL, never from the body."""
        self.bodies.append(body)
        self.calls.append(("bulk", str(len(body))))
        self.bulk_indices.append(index)
        if self.request_errors:
            error = self.request_errors.pop(0)
            if error is not None:
                raise error
        entries = parse_body_raw(body)
        if index is None or any("_index" in action["create"] for action, _, _ in entries):
            raise TransportError(400, "illegal_argument_exception",
                                 {"error": {"reason": "explicit index in bulk is not allowed"}})
        items = []
        errors = False
        for action, source, raw in entries:
            meta = {**action["create"], "_index": index}
            key = (index, meta["_id"])
            attempt = self.attempts[key] = self.attempts.get(key, 0) + 1
            decided = self.rule(attempt, meta, source) if self.rule else 201
            status, kind = decided if isinstance(decided, tuple) else (decided, None)
            if has_duplicate_keys(raw):  # like the engine's strict duplicate detection
                status, kind = 400, "mapper_parsing_exception"
            if status == 201 and key in self.store:
                status = 409
            if status == 201:
                self.store[key] = source
                items.append({"create": {"status": 201}})
                continue
            errors = True
            kinds = {409: "version_conflict_engine_exception",
                     429: "es_rejected_execution_exception",
                     400: "mapper_parsing_exception", 403: "cluster_block_exception"}
            items.append({"create": {"status": status, "error": {
                "type": kind or kinds.get(status, "exception"), "reason": f"status {status}"}}})
        return {"errors": errors, "items": items}

    def stored_in(self, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {k: v for k, v in self.store.items() if k[0].startswith(prefix)}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def conn_error() -> Exception:
    return OSConnectionError("N/A", "Connection refused", Exception("refused"))


def http_error(status: int, error: str = "error") -> Exception:
    return TransportError(status, error, {"error": {"type": error, "reason": f"{status}!"}})


HANG_GUARD_S = 30.0  # only ever reached when the code under test is broken


class Gate:
    """Holds a client's bulk requests until the shipper waits for answers, then lets one go.

    ``gate.wait`` stands in for ``bulk.wait`` (the dispatching thread's wait for answers).
    When it is called, every request the shipper has started is held here, so the gate sees
    exactly how many are in flight; it lets the one ``pick`` chooses through (answers in any
    order the test likes) and only then waits. Every step is decided by the test, none by
    timing. Bodies larger than ``max_body`` are refused with 413, like the engine's
    ``http.max_content_length``.
    """

    def __init__(self, client: FakeClient, pick: Callable[[int], int] = lambda n: 0,
                 max_body: int | None = None, clock: Callable[[], float] | None = None,
                 on_release: Callable[[], None] | None = None) -> None:
        self.client = client
        self.indices = client.indices
        self.pick = pick  # number held -> index of the one to let through
        self.max_body = max_body
        self.clock = clock or (lambda: 0.0)
        self.on_release = on_release  # e.g. move a fake clock: the request took time
        self.cond = threading.Condition()
        self.held: list[threading.Event] = []
        self.in_flight: list[int] = []  # requests in flight each time the shipper waited
        self.max_held = 0
        self.sent: list[tuple[float, float, bytes]] = []  # (clock, request_timeout, body)
        self.refused = 0  # 413s

    def bulk(self, **kwargs: Any) -> dict[str, Any]:
        go = threading.Event()
        with self.cond:
            self.sent.append((self.clock(), kwargs["params"]["request_timeout"],
                              kwargs["body"]))
            self.held.append(go)
            self.max_held = max(self.max_held, len(self.held))
            self.cond.notify_all()
        assert go.wait(HANG_GUARD_S), "a bulk request was never let through"
        with self.cond:  # one answer at a time, in the order the gate let them through
            if self.max_body is not None and len(kwargs["body"]) > self.max_body:
                self.refused += 1
                raise TransportError(413, "content_too_long", {"error": "too long"})
            return self.client.bulk(**kwargs)

    def wait(self, fs: Any, return_when: str) -> Any:
        started = [f for f in fs if not f.done()]
        self.in_flight.append(len(fs))
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.held) >= len(started), HANG_GUARD_S)
            assert len(self.held) == len(started), "a request the shipper does not wait for"
            if self.on_release is not None:
                self.on_release()
            self.held.pop(self.pick(len(self.held))).set()
        return futures.wait(fs, return_when=return_when)
