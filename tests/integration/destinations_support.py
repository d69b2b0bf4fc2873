"""What the destination tests share: a forwarder with no domain, invoked like the Lambda."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from forwarder.destinations import Shipper
from forwarder.handler import Summary, process
from forwarder.settings import Settings

from tests.forwarder import payloads

REGION = "eu-west-1"


def settings(destinations: list[dict[str, Any]]) -> Settings:
    """The forwarder's settings for a stack without a domain, as its environment gives them."""
    return Settings.from_env({"AWS_REGION": REGION, "DESTINATIONS": json.dumps(destinations),
                              "REQUEST_TIMEOUT_MS": "10000", "SAFETY_MARGIN_MS": "1000"})


def events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    return payloads.realistic_events(n, seed=seed)


def invoke(evs: list[dict[str, Any]], s: Settings, others: Sequence[Shipper],
           seconds: float = 60) -> Summary:
    event = payloads.encode(payloads.payload(evs))
    return process(event, s, None, time.monotonic() + seconds, None, others)


def fault_when(ready: Callable[[], bool], fault: Callable[[], None],
               timeout: float = 30) -> threading.Thread:
    """Run ``fault`` in a thread as soon as ``ready()`` (polled every 5 ms) is true."""
    def watch() -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ready():
                fault()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread
