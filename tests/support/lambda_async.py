"""A small stand-in for Lambda's asynchronous invocation, as CloudWatch Logs uses it.

What it reproduces (AWS Lambda, "How Lambda handles errors and retries with asynchronous
invocation", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):

- An event is accepted, then run. A run that raises is retried twice, after a delay each time
  (about 1 and 2 minutes on AWS, scaled down here); after the third failure the invocation
  record (requestContext with condition RetriesExhausted and approximateInvokeCount 3,
  requestPayload = the event, responseContext/responsePayload with the error) goes to the
  on-failure destination, an SQS queue in the function's region.
- Reserved concurrency: at most `reserved_concurrency` runs at once. An event that finds every
  slot busy is throttled (429) and returned to the queue, and tried again after an interval
  that grows exponentially (1 s up to 5 minutes on AWS, scaled down here). Throttles are not
  function errors: they do not use up the two retries. An event still in the queue after the
  maximum event age goes to the on-failure destination with condition EventAgeExceeded.
- Several runs go on at once, each in its own "execution environment": a worker thread keeps
  one client per region, as a container would.

What it does not: duplicate deliveries without an error (the ids make those harmless anyway),
and Lambda slowing its reads when the queue is long (that only lengthens the waits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
MAX_EVENT_AGE_S = 6 * 3600.0  # Lambda's longest (and this program's) maximum event age

# fn(event, region, deadline) -> summary; raises to fail the run.
Handler = Callable[[dict[str, Any], str, float], Any]
# (region, invocation record) -> None: the on-failure destination (an SQS send in the tests).
Destination = Callable[[str, dict[str, Any]], None]


@dataclass
class Tally:
    accepted: int = 0
    attempts: int = 0  # runs of the handler
    failed_attempts: int = 0
    succeeded: int = 0
    to_destination: int = 0
    throttles: int = 0  # tries that found no free slot (not runs, not failures)
    expired: int = 0  # sent to the destination because of the maximum event age
    peak_running: int = 0
    summaries: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Invocation:
    event: dict[str, Any]
    region: str
    request_id: str
    accepted_at: float
    runs: int = 0  # handler runs so far: what the retry limit counts
    throttles: int = 0
    started: bool = False
    last_error: Exception | None = None


class AsyncLambda:
    """Runs events like Lambda's async queue: throttles, retries, then the failure queue."""

    def __init__(
        self,
        handler: Handler,
        on_failure: Destination,
        *,
        concurrency: int = 8,
        timeout_s: float = 10.0,
        retry_delays_s: tuple[float, float] = (1.0, 2.0),
        function_name: str = "edgelogs-forwarder",
        reserved_concurrency: int | None = None,
        throttle_backoff_s: tuple[float, float] = (0.05, 1.0),
        max_event_age_s: float = MAX_EVENT_AGE_S,
    ) -> None:
        """`concurrency` is how many environments the simulator can run (threads);
        `reserved_concurrency`, if set, is the function's limit, the one Lambda enforces
        by throttling. `throttle_backoff_s` is (first, longest) wait between throttled tries."""
        if reserved_concurrency is not None and reserved_concurrency < 1:
            raise ValueError("reserved_concurrency must be at least 1 (0 stops the function)")
        self.handler = handler
        self.on_failure = on_failure
        self.timeout_s = timeout_s
        self.retry_delays_s = retry_delays_s
        self.function_name = function_name
        self.reserved_concurrency = reserved_concurrency
        self.throttle_backoff_s = throttle_backoff_s
        self.max_event_age_s = max_event_age_s
        self.tally = Tally()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambda")
        # Retries get environments of their own: on AWS a retry does not queue behind the
        # fresh events (concurrency scales), so its delay stays what Lambda chose.
        self._retry_pool = ThreadPoolExecutor(
            max_workers=max(1, concurrency // 2), thread_name_prefix="lambda-retry"
        )
        self._backlog = 0  # fresh events accepted but not started yet
        self._running = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._timers: list[threading.Timer] = []
        self._closed = False

    def invoke(self, event: dict[str, Any], region: str) -> None:
        """InvocationType=Event: returns at once; the run happens later."""
        inv = _Invocation(event, region, str(uuid.uuid4()), time.monotonic())
        with self._lock:
            self._pending += 1
            self._backlog += 1
            self.tally.accepted += 1
        self._pool.submit(self._attempt, inv)

    def _later(self, delay_s: float, inv: _Invocation) -> None:
        """Back to the queue: tried again after `delay_s`, holding no worker while it waits."""
        timer = threading.Timer(delay_s, self._resubmit, (inv,))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def _resubmit(self, inv: _Invocation) -> None:
        # A timer that fires while close() shuts the pools down has nowhere to run.
        with contextlib.suppress(RuntimeError):
            if not self._closed:
                self._retry_pool.submit(self._attempt, inv)

    def _throttle_delay(self, throttles: int) -> float:
        first, longest = self.throttle_backoff_s
        return min(longest, first * 2 ** (throttles - 1))

    def _attempt(self, inv: _Invocation) -> None:
        with self._lock:
            expired = time.monotonic() - inv.accepted_at > self.max_event_age_s
            throttled = (
                not expired
                and self.reserved_concurrency is not None
                and self._running >= self.reserved_concurrency
            )
            if throttled:
                inv.throttles += 1
                self.tally.throttles += 1
            elif not expired:
                self._running += 1
                self.tally.peak_running = max(self.tally.peak_running, self._running)
                if not inv.started:
                    inv.started = True
                    self._backlog -= 1
                inv.runs += 1
                self.tally.attempts += 1
        if expired:
            self._to_destination(inv, "EventAgeExceeded")
            return
        if throttled:
            # A 429 from Lambda itself: no run, no retry used up.
            self._later(self._throttle_delay(inv.throttles), inv)
            return
        try:
            summary = self.handler(inv.event, inv.region, time.monotonic() + self.timeout_s)
        except Exception as exc:  # Lambda treats any raised error as a failed run
            with self._lock:
                self._running -= 1
            self._failed(inv, exc)
            return
        with self._lock:
            self._running -= 1
            self.tally.succeeded += 1
            self.tally.summaries.append(summary)
        self._done()

    def _failed(self, inv: _Invocation, exc: Exception) -> None:
        inv.last_error = exc
        with self._lock:
            self.tally.failed_attempts += 1
            if len(self.tally.errors) < 20:
                self.tally.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        if inv.runs <= len(self.retry_delays_s):
            self._later(self.retry_delays_s[inv.runs - 1], inv)
            return
        self._to_destination(inv, "RetriesExhausted")

    def _to_destination(self, inv: _Invocation, condition: str) -> None:
        self.on_failure(inv.region, self._record(inv, condition))
        with self._lock:
            self.tally.to_destination += 1
            if condition == "EventAgeExceeded":
                self.tally.expired += 1
                if not inv.started:
                    self._backlog -= 1
        self._done()

    def _record(self, inv: _Invocation, condition: str) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        arn = f"arn:aws:lambda:{inv.region}:{ACCOUNT}:function:{self.function_name}"
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": now,
            "requestContext": {
                "requestId": inv.request_id,
                "functionArn": f"{arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": inv.runs,
            },
            "requestPayload": inv.event,
        }
        if inv.last_error is not None:
            exc = inv.last_error
            record["responseContext"] = {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            }
            record["responsePayload"] = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
            }
        return record

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait(self, timeout_s: float) -> bool:
        """True once every accepted event succeeded or reached the failure queue."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def wait_for(self, predicate: Callable[[Tally], bool], timeout_s: float) -> bool:
        """Polls the tally until `predicate` holds (a test's way to reach a state, not a time)."""
        stop = time.monotonic() + timeout_s
        while time.monotonic() < stop:
            with self._lock:
                if predicate(self.tally):
                    return True
            time.sleep(0.005)
        return False

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    @property
    def backlog(self) -> int:
        with self._lock:
            return self._backlog

    def close(self) -> None:
        self._closed = True
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._retry_pool.shutdown(wait=True, cancel_futures=True)
