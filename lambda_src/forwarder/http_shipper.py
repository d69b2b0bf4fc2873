"""An HTTP destination: the domain's own JSON documents, one a line (ndjson), POSTed.

Each request carries whole documents up to ``max_bytes`` (BULK_MAX_BYTES, as for the domain)
with ``Content-Type: application/x-ndjson``. A 2xx answer means the receiver took the whole
body. Connection errors, timeouts, 429 and 5xx are retried through the forwarder's one retry
policy (retry.py) while there is time; any other answer (a 4xx: a refused request) is not,
and those documents are undelivered at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests

from forwarder.destinations import Delivered, Documents
from forwarder.retry import OutOfTime, RetryPolicy, retryable_status

CONTENT_TYPE = "application/x-ndjson"


class HttpShipper:
    def __init__(self, name: str, url: str, headers: dict[str, str], request_timeout_s: float,
                 max_bytes: int) -> None:
        self.name = name
        self.url = url
        self.max_bytes = max_bytes
        self.request_timeout_s = request_timeout_s
        # One session per container: its connection is reused by every invocation.
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.session.headers["Content-Type"] = CONTENT_TYPE

    def ship(self, docs: Documents, policy: RetryPolicy) -> Delivered:
        out = Delivered(self.name)
        for start, stop in self._chunks(docs.sources):
            body = "".join(docs.sources[start:stop]).encode("ascii")
            ok, attempts, why = self._post(body, policy)
            out.attempts += attempts
            out.bytes_sent += len(body) * attempts
            if ok:
                out.sent += stop - start
            else:
                out.undelivered += stop - start
                out.reason = why
        return out

    def _chunks(self, sources: list[str]) -> Iterator[tuple[int, int]]:
        start = size = 0
        for i, src in enumerate(sources):
            if size and size + len(src) > self.max_bytes:
                yield start, i
                start, size = i, 0
            size += len(src)
        if start < len(sources):
            yield start, len(sources)

    def _post(self, body: bytes, policy: RetryPolicy) -> tuple[bool, int, str]:
        """(taken, attempts, why not)."""
        attempt = 0
        why = ""
        while True:
            try:
                timeout = policy.request_timeout()
            except OutOfTime:
                if not attempt:
                    return False, 0, "out of time before the request was sent"
                return False, attempt, f"{why}; {policy.gave_up(attempt)}"
            attempt += 1
            try:
                answer = self.session.post(self.url, data=body, timeout=timeout)
                status: int | None = answer.status_code
                why = f"HTTP {status} {answer.text[:200]}".strip()
            except requests.RequestException as exc:
                status, why = None, f"connection error: {type(exc).__name__}: {str(exc)[:200]}"
            if status is not None and 200 <= status < 300:
                return True, attempt, ""
            if status is not None and not retryable_status(status):
                return False, attempt, why
            if not policy.backoff(attempt):
                return False, attempt, f"{why}; {policy.gave_up(attempt)}"
