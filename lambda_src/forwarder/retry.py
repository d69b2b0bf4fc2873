"""The forwarder's one retry policy: what is worth asking again, and when, within the time
the Lambda has left. Every destination (the domain's bulk requests in bulk.py, the HTTP and
syslog shippers) retries through it, so they all back off and give up the same way.

Backoff between attempts: exponential with full jitter, ``uniform(0, min(CAP, BASE * 2**n))``.
An attempt is only started while the time left before the deadline is more than the safety
margin plus MIN_REQUEST_S; each request's timeout is cut to fit in what is left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 5.0
MIN_REQUEST_S = 0.5  # less time than this left (after the margin): no new request

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class OutOfTime(Exception):
    """Less than MIN_REQUEST_S is left before the deadline (after the margin)."""


def retryable_status(status: int | None) -> bool:
    """A busy or failing receiver: 429 and every 5xx are worth asking again; another 4xx
    (a refused request) is not, retrying cannot help. (The domain also retries its
    block-type 403s: bulk._retryable.)"""
    return status is not None and (status == 429 or status >= 500)


class RetryPolicy:
    """The deadline, the margin kept back from it, and the backoff between attempts."""

    def __init__(self, deadline: float, safety_margin_s: float, request_timeout_s: float,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.deadline = deadline
        self.margin = safety_margin_s
        self.request_timeout_s = request_timeout_s
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()

    def time_left(self) -> float:
        """Seconds we may still spend on a request, after keeping the margin back."""
        return self.deadline - self.margin - self.clock()

    def backoff(self, attempt: int) -> bool:
        """Sleep before retry ``attempt`` (1, 2, ...); False if there is no time for it."""
        delay = self.rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt))
        # Worth sleeping only if a request can still follow it; near the end the pause is
        # shortened so the last attempt still happens.
        left = self.time_left() - MIN_REQUEST_S
        if left <= 0:
            return False
        self.sleep(min(delay, left))
        return True

    def request_timeout(self) -> float:
        """The timeout of a request started now; raises OutOfTime when none may start."""
        left = self.time_left()
        if left < MIN_REQUEST_S:
            raise OutOfTime()
        return min(self.request_timeout_s, left)

    def gave_up(self, attempts: int) -> str:
        """The end of a failure's reason, the same words for every destination."""
        return (f"gave up after {attempts} attempt(s) with "
                f"{self.time_left() + self.margin:.1f}s of Lambda time left")
