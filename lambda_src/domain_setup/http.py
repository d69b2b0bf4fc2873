"""One way to talk to the domain: a JSON request, SigV4-signed for the domain's region.

Standard library and botocore only (the Lambda runtime's own), so the function's zip holds
just this package and lambda_src/contract.py.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# method, path (with query), JSON body or None -> (HTTP status, decoded JSON answer or text)
Call = Callable[[str, str, Any], tuple[int, Any]]
SERVICE = "es"
TIMEOUT_S = 30.0
# A domain just created or changed (a blue/green deployment) may answer 5xx, 429 or nothing
# for a while; the setup waits up to this long in total before it gives up and fails the
# deploy (the function's timeout, components/domain_setup.py, leaves room for it).
RETRY_FOR_S = 180.0
RETRYABLE = (429, 500, 502, 503, 504)


class SetupError(RuntimeError):
    """The domain refused or failed a step; the message carries the engine's reason."""

    @classmethod
    def answer(cls, method: str, path: str, status: int, answer: Any) -> SetupError:
        return cls(f"{method} {path} answered {status}: {reason(answer)}")


def reason(answer: Any) -> str:
    """The engine's own words: error.reason, else message, else the answer, shortened."""
    if isinstance(answer, dict):
        err = answer.get("error")
        if isinstance(err, dict) and err.get("reason"):
            return str(err["reason"])[:500]
        for key in ("message", "Message", "error"):
            if isinstance(answer.get(key), str):
                return answer[key][:500]
    return str(answer)[:500]


def caller(endpoint: str, region: str, credentials: Any = None,
           timeout: float = TIMEOUT_S, retry_for_s: float = RETRY_FOR_S,
           sleep: Callable[[float], None] = time.sleep) -> Call:
    """A Call for the domain at ``endpoint``; signed with ``credentials`` (botocore) when given.

    Unsigned only for an http:// endpoint on loopback (a local test node without a front door).
    """
    base = endpoint.rstrip("/")
    host = urlsplit(base).hostname or ""
    if credentials is None and not (base.startswith("http://")
                                    and host in ("127.0.0.1", "localhost")):
        raise SetupError(f"no credentials to sign requests to {base}")

    def once(method: str, path: str, data: bytes) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"}
        url = base + path
        if credentials is not None:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest

            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(credentials, SERVICE, region).add_auth(request)  # fresh for each try
            headers = dict(request.headers.items())
        req = urllib.request.Request(url, data=data if data else None, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        data = b"" if body is None else json.dumps(body).encode()
        deadline = time.monotonic() + retry_for_s
        attempt = 0
        while True:
            try:
                status, raw = once(method, path, data)
                failure = None
            except OSError as exc:
                status, raw, failure = 0, b"", exc
            if status not in RETRYABLE and failure is None:
                break
            attempt += 1
            pause = random.uniform(0, min(10.0, 0.5 * 2 ** attempt))
            if time.monotonic() + pause >= deadline:
                if failure is not None:
                    raise SetupError(f"{method} {path}: the domain did not answer "
                                     f"({failure})") from None
                break  # the last answer (5xx, 429) is reported by the caller
            sleep(pause)
        try:
            return status, json.loads(raw) if raw.strip() else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    return call
