"""One way to talk to the domain: a JSON request, SigV4-signed for the domain's region.

Standard library and botocore only (the Lambda runtime's own), so the function's zip holds
just this package and lambda_src/contract.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# method, path (with query), JSON body or None -> (HTTP status, decoded JSON answer or text)
Call = Callable[[str, str, Any], tuple[int, Any]]
SERVICE = "es"
TIMEOUT_S = 30.0


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
           timeout: float = TIMEOUT_S) -> Call:
    """A Call for the domain at ``endpoint``; signed with ``credentials`` (botocore) when given.

    Unsigned only for an http:// endpoint on loopback (a local test node without a front door).
    """
    base = endpoint.rstrip("/")
    host = urlsplit(base).hostname or ""
    if credentials is None and not (base.startswith("http://")
                                    and host in ("127.0.0.1", "localhost")):
        raise SetupError(f"no credentials to sign requests to {base}")

    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        url = base + path
        if credentials is not None:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest

            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(credentials, SERVICE, region).add_auth(request)
            headers = dict(request.headers.items())
        req = urllib.request.Request(url, data=data if data else None, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError as exc:
            raise SetupError(f"{method} {path}: the domain did not answer ({exc})") from None
        try:
            return status, json.loads(raw) if raw.strip() else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    return call
