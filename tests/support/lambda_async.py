"""A small stand-in for Lambda's asynchronous invocation, as CloudWatch Logs uses it.

What it reproduces (AWS Lambda, "asynchronous invocation"): an event is accepted, then run;
a run that raises is retried twice, after a delay each time (about 1 and 2 minutes on AWS,
scaled down here); after the third failure the invocation record (requestContext with
condition RetriesExhausted and approximateInvokeCount 3, requestPayload = the event,
responseContext/responsePayload with the error) goes to the on-failure destination, an SQS
queue in the function's region. Several runs go on at once (concurrency), each in its own
"execution environment": a worker thread keeps one client per region, as a container would.

What it does not: event age expiry (the test's delays are far below any max event age),
throttling, and duplicate deliveries without an error (the ids make those harmless anyway).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"

# fn(event, region, deadline) -> summary; raises to fail the run.
Handler = Callable[[dict[str, Any], str, float], Any]
# (region, invocation record) -> None: the on-failure destination (an SQS send in the tests).
Destination = Callable[[str, dict[str, Any]], None]


@dataclass
class Tally:
    accepted: int = 0
    attempts: int = 0
    failed_attempts: int = 0
    succeeded: int = 0
    to_destination: int = 0
    summaries: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class AsyncLambda:
    """Runs events like Lambda's async queue: retries with delays, then the failure queue."""

    def __init__(
        self,
        handler: Handler,
        on_failure: Destination,
        *,
        concurrency: int = 8,
        timeout_s: float = 10.0,
        retry_delays_s: tuple[float, float] = (1.0, 2.0),
        function_name: str = "edgelogs-forwarder",
    ) -> None:
        self.handler = handler
        self.on_failure = on_failure
        self.timeout_s = timeout_s
        self.retry_delays_s = retry_delays_s
        self.function_name = function_name
        self.tally = Tally()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambda")
        # Retries get environments of their own: on AWS a retry does not queue behind the
        # fresh events (concurrency scales), so its delay stays what Lambda chose.
        self._retry_pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency // 2), thread_name_prefix="lambda-retry"
        )
        self._backlog = 0  # fresh events accepted but not started yet
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._timers: list[threading.Timer] = []

    def invoke(self, event: dict[str, Any], region: str) -> None:
        """InvocationType=Event: returns at once; the run happens later."""
        with self._lock:
            self._pending += 1
            self._backlog += 1
            self.tally.accepted += 1
        self._pool.submit(self._run, event, region, str(uuid.uuid4()), 1)

    def _run(self, event: dict[str, Any], region: str, request_id: str, attempt: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        with self._lock:
            if attempt == 1:
                self._backlog -= 1
            self.tally.attempts += 1
        try:
            summary = self.handler(event, region, deadline)
        except Exception as exc:  # Lambda treats any raised error as a failed run
            self._failed(event, region, request_id, attempt, exc)
            return
        with self._lock:
            self.tally.succeeded += 1
            self.tally.summaries.append(summary)
        self._done()

    def _failed(
        self, event: dict[str, Any], region: str, request_id: str, attempt: int, exc: Exception
    ) -> None:
        with self._lock:
            self.tally.failed_attempts += 1
            if len(self.tally.errors) < 20:
                self.tally.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        if attempt <= len(self.retry_delays_s):
            # Retried later on a worker, without holding one while it waits (as on AWS).
            timer = threading.Timer(
                self.retry_delays_s[attempt - 1],
                lambda: self._retry_pool.submit(self._run, event, region, request_id, attempt + 1),
            )
            timer.daemon = True
            with self._lock:
                self._timers.append(timer)
            timer.start()
            return
        self.on_failure(region, self._record(event, region, request_id, attempt, exc))
        with self._lock:
            self.tally.to_destination += 1
        self._done()

    def _record(
        self, event: dict[str, Any], region: str, request_id: str, attempt: int, exc: Exception
    ) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{self.function_name}"
        return {
            "version": "1.0",
            "timestamp": now,
            "requestContext": {
                "requestId": request_id,
                "functionArn": f"{arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempt,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": str(exc), "errorType": type(exc).__name__},
        }

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait(self, timeout_s: float) -> bool:
        """True once every accepted event succeeded or reached the failure queue."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    @property
    def backlog(self) -> int:
        with self._lock:
            return self._backlog

    def close(self) -> None:
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._retry_pool.shutdown(wait=True, cancel_futures=True)
