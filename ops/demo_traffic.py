"""A few minutes of Lambda@Edge traffic, as CloudWatch Logs hands it to each region's forwarder.

Viewers in every default region hit one distribution with four edge functions:
`viewer-auth` (Node.js, text format) checks a token on every request, `origin-router`
(Python) and `image-resize` (Node.js, JSON lines) run on cache misses, and
`security-headers` (Node.js) on every response. Each region runs its own execution
environments, one invocation at a time each (one log stream per environment); a new
environment starts with a cold start (INIT_START, `Init Duration` in REPORT). Some requests
fail: expired tokens (WARN, with the viewer's IP address, e-mail and token, which the demo
stack redacts), a TypeError (Invoke Error with a JSON stack), a Python traceback,
an origin timeout (`Task timed out`), and the invalid responses CloudFront reports in its own
`/aws/cloudfront/LambdaEdge/<distribution id>` log group.

Everything follows from the window's end time: the same `end` gives the same requests,
request ids, log streams and CloudWatch event ids, so the forwarder (whose document ids
come from them) stores nothing twice however often the traffic is sent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import contract

from ops.times import iso_ms, stream_day

ACCOUNT = "123456789012"
DISTRIBUTION_ID = "E2DEMO7EDGELOGS"
DISTRIBUTION_DOMAIN = "d1demo4edgelogs.cloudfront.net"
WINDOW_MS = 5 * 60 * 1000
REQUESTS = 320
# CloudWatch Logs delivers a stream's new events every few seconds; one batch per stream
# and minute keeps the demo quick with the same documents.
BATCH_MS = 60_000

# Viewers per region, roughly where a global site's traffic comes from; one entry for each of
# the 13 default regions (components.config.DEFAULT_REGIONS, which tests/ops checks; not
# imported, so that the demo needs no Pulumi packages).
REGION_WEIGHTS = {
    "us-east-1": 10, "us-east-2": 4, "us-west-1": 3, "us-west-2": 5, "ap-south-1": 3,
    "ap-northeast-1": 5, "ap-northeast-2": 2, "ap-southeast-1": 3, "ap-southeast-2": 2,
    "eu-central-1": 5, "eu-west-1": 6, "eu-west-2": 4, "sa-east-1": 2,
}
COUNTRIES = {
    "us-east-1": "US", "us-east-2": "US", "us-west-1": "US", "us-west-2": "CA",
    "ap-south-1": "IN", "ap-northeast-1": "JP", "ap-northeast-2": "KR",
    "ap-southeast-1": "SG", "ap-southeast-2": "AU", "eu-central-1": "DE", "eu-west-1": "IE",
    "eu-west-2": "GB", "sa-east-1": "BR",
}
PATHS = ("/", "/index.html", "/img/hero.jpg", "/img/p/1842.webp", "/img/p/77.jpg",
         "/account", "/api/cart", "/css/site.css", "/js/app.js", "/img/logo.svg")


# Request number -> a failure every window has, whatever the dice say.
FORCED = {40: "cloudfront", 70: "traceback", 100: "timeout", 130: "cloudfront"}


@dataclass(frozen=True)
class EdgeFunction:
    name: str
    version: str
    runtime: str  # INIT_START's runtime version
    memory_mb: int
    timeout_s: int


VIEWER_AUTH = EdgeFunction("viewer-auth", "12", "nodejs:20.v33", 128, 5)
ORIGIN_ROUTER = EdgeFunction("origin-router", "4", "python:3.12.v38", 128, 30)
IMAGE_RESIZE = EdgeFunction("image-resize", "9", "nodejs:20.v33", 1024, 30)
SECURITY_HEADERS = EdgeFunction("security-headers", "3", "nodejs:20.v33", 128, 5)
FUNCTIONS = (VIEWER_AUTH, ORIGIN_ROUTER, IMAGE_RESIZE, SECURITY_HEADERS)


@dataclass
class Stream:
    """One log stream: an execution environment's lines, or CloudFront's error log."""

    region: str
    group: str
    name: str
    events: list[dict[str, Any]] = field(default_factory=list)
    busy_until: int = 0


@dataclass
class Invocation:
    region: str
    function: str
    request_id: str
    start_ms: int
    cold: bool
    error: bool
    lines: int


@dataclass
class Traffic:
    start_ms: int
    end_ms: int
    streams: list[Stream]
    invocations: list[Invocation]

    @property
    def events(self) -> int:
        return sum(len(s.events) for s in self.streams)


def _viewer_secrets(cf_id: str) -> str:
    """What a careless viewer-auth logs when it refuses a token: the viewer's address and
    e-mail and the token itself. The demo stack redacts all three (ops/demo.py REDACT).
    Derived from the request's CloudFront id, not the dice: the traffic stays the same."""
    digest = hashlib.sha256(cf_id.encode()).digest()
    return (f"client=198.51.100.{digest[0] % 254 + 1} user=viewer{digest[1]}@example.com "
            f"authorization=Bearer {digest[2:20].hex()}")


class _Generator:
    def __init__(self, end_ms: int) -> None:
        # A string seed is hashed with SHA-512 by random: the same on every machine and run.
        self.rng = random.Random(f"edgelogs-demo-{end_ms}")
        self.end_ms = end_ms
        self.start_ms = end_ms - WINDOW_MS
        self.seq = 0
        self.environments: dict[tuple[str, str], list[Stream]] = {}
        self.streams: list[Stream] = []
        self.invocations: list[Invocation] = []
        self.cloudfront: dict[str, Stream] = {}

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def _emit(self, stream: Stream, ts: int, message: str) -> None:
        self.seq += 1
        # CloudWatch Logs event ids are 56 decimal digits that grow with ingestion.
        stream.events.append({"id": f"{ts:020d}{self.seq:036d}", "timestamp": ts,
                              "message": message})

    def _environment(self, region: str, fn: EdgeFunction, at: int) -> tuple[Stream, bool]:
        """A free execution environment of `fn` in `region`, or a new one (a cold start).

        As Lambda scales: one environment per concurrent request, each with its own log
        stream `YYYY/MM/DD/[version]<guid>`
        (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
        https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html).
        """
        envs = self.environments.setdefault((region, fn.name), [])
        for env in envs:
            if env.busy_until < at:
                return env, False
        day = stream_day(at)
        env = Stream(region, f"{contract.EDGE_LOG_GROUP_PREFIX}{fn.name}",
                     f"{day}/[{fn.version}]{self._hex(32)}")
        envs.append(env)
        self.streams.append(env)
        return env, True

    def invoke(self, region: str, fn: EdgeFunction, at: int, body: list[tuple[int, str]],
               duration: float, error: bool = False, status: str = "") -> int:
        """Writes one invocation (body: offset ms, message with {rid}); returns its end."""
        env, cold = self._environment(region, fn, at)
        rid = self._uuid()
        ts = at
        if cold:
            self._emit(env, ts, f"INIT_START Runtime Version: {fn.runtime}\tRuntime Version "
                                f"ARN: arn:aws:lambda:{region}::runtime:{self._hex(64)}\n")
            init = self.rng.uniform(120, 420)
            ts += int(init)
        self._emit(env, ts, f"START RequestId: {rid} Version: {fn.version}\n")
        for offset, message in body:
            self._emit(env, ts + offset, message.format(rid=rid, iso=iso_ms(ts + offset)))
        ts += int(duration) + 1
        self._emit(env, ts, f"END RequestId: {rid}\n")
        report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
                  f"{int(duration) + 1} ms\tMemory Size: {fn.memory_mb} MB\tMax Memory Used: "
                  f"{self.rng.randint(fn.memory_mb // 3, fn.memory_mb // 2 + 20)} MB\t")
        if cold:
            report += f"Init Duration: {init:.2f} ms\t"
        if status:
            report += f"Status: {status}\t"
        self._emit(env, ts, report + "\n")
        env.busy_until = ts
        self.invocations.append(Invocation(region, fn.name, rid, at, cold, error,
                                           len(body) + (4 if cold else 3)))
        return ts

    def cloudfront_error(self, region: str, at: int, cf_id: str, path: str) -> None:
        """CloudFront's report of an invalid Lambda@Edge response, in its own log group.

        Only the group's name and purpose are documented (validation and execution errors
        of the distribution's functions, in the region that served the request:
        https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-testing-debugging.html);
        the line's fields here are illustrative.
        """
        stream = self.cloudfront.get(region)
        if stream is None:
            day = stream_day(at)
            stream = self.cloudfront[region] = Stream(
                region, f"{contract.DISTRIBUTION_LOG_GROUP_PREFIX}{DISTRIBUTION_ID}",
                f"{day}/{self._hex(32)}")
            self.streams.append(stream)
        self._emit(stream, at, json.dumps({
            "EventType": "LambdaValidationError",
            "FunctionAssociation": "viewer-response",
            "LambdaArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
                         f"{SECURITY_HEADERS.name}:{SECURITY_HEADERS.version}",
            "DistributionId": DISTRIBUTION_ID,
            "DistributionDomainName": DISTRIBUTION_DOMAIN,
            "RequestId": cf_id,
            "Uri": path,
            "ErrorMessage": "The Lambda function returned an invalid header: "
                            "'x-frame-options' has an empty value",
        }) + "\n")

    def request(self, region: str, at: int, forced: str = "") -> None:
        """One viewer request: the functions it runs, in order. `forced` makes sure each
        kind of failure is in every window: `cloudfront`, `traceback` or `timeout`."""
        rng = self.rng
        path = rng.choice(PATHS)
        if forced in ("traceback", "timeout"):
            path = "/img/p/1842.webp"
        cf_id = base64.urlsafe_b64encode(rng.randbytes(39)).decode()
        country = COUNTRIES[region]
        roll = 1.0 if forced else rng.random()
        if roll < 0.05:
            body = [(1, "{iso}\t{rid}\tWARN\ttoken expired for " + path + " country=" + country
                        + " cf=" + cf_id + " " + _viewer_secrets(cf_id) + "\n")]
            self.invoke(region, VIEWER_AUTH, at, body, rng.uniform(2, 6))
            return  # 401 from the edge: nothing else runs
        if roll < 0.07:
            stack = ["TypeError: Cannot read properties of undefined (reading 'value')",
                     "    at verify (/var/task/index.js:41:37)",
                     "    at Runtime.handler (/var/task/index.js:12:18)"]
            error = json.dumps({"errorType": "TypeError", "errorMessage": stack[0][11:],
                                "stack": stack})
            self.invoke(region, VIEWER_AUTH, at, [(2, "{iso}\t{rid}\tERROR\tInvoke Error \t"
                                                   + _braces(error) + "\n")],
                        rng.uniform(3, 8), error=True)
            return  # 503 from CloudFront
        t = self.invoke(region, VIEWER_AUTH, at, [
            (1, "{iso}\t{rid}\tINFO\tviewer request GET " + path + " country=" + country
                + " cf=" + cf_id + "\n")], rng.uniform(1, 4))
        if forced in ("traceback", "timeout") or rng.random() < 0.3:
            # A cache miss: the origin side runs.
            t = self._origin(region, t + rng.randint(2, 9), path, cf_id, forced)
        if forced == "cloudfront" or rng.random() < 0.01:
            t = self.invoke(region, SECURITY_HEADERS, t + rng.randint(20, 90), [],
                            rng.uniform(1, 3))
            self.cloudfront_error(region, t + rng.randint(1, 40), cf_id, path)
        else:
            self.invoke(region, SECURITY_HEADERS, t + rng.randint(20, 90), [],
                        rng.uniform(1, 3))

    def _origin(self, region: str, at: int, path: str, cf_id: str, forced: str) -> int:
        rng = self.rng
        origin = "assets-" + ("eu" if region.startswith("eu") else "us")
        roll = {"traceback": 0.0, "timeout": 0.035}.get(forced, rng.random())
        if roll < 0.03:
            trace = ("[ERROR] KeyError: 'cloudfront-viewer-country'\nTraceback (most recent "
                     "call last):\n  File \"/var/task/app.py\", line 27, in handler\n    "
                     "country = headers['cloudfront-viewer-country'][0]['value']\n")
            return self.invoke(region, ORIGIN_ROUTER, at, [(3, trace)], rng.uniform(4, 9),
                               error=True)
        if roll < 0.04:
            timeout = ORIGIN_ROUTER.timeout_s * 1000
            return self.invoke(region, ORIGIN_ROUTER, at, [
                (2, "[INFO]\t{iso}\t{rid}\trouting " + path + " to " + origin + "\n"),
                (timeout, "{iso} {rid} Task timed out after "
                          f"{ORIGIN_ROUTER.timeout_s}.00 seconds\n")],
                timeout + 2.5, error=True, status="timeout")
        t = self.invoke(region, ORIGIN_ROUTER, at, [
            (2, "[INFO]\t{iso}\t{rid}\trouting " + path + " to " + origin + " cf=" + cf_id
                + "\n")], rng.uniform(2, 6))
        if path.startswith("/img/"):
            t = self._resize(region, t + rng.randint(30, 250), path)
        return t

    def _resize(self, region: str, at: int, path: str) -> int:
        rng = self.rng
        width = rng.choice((320, 640, 1280))
        if rng.random() < 0.06:
            line = json.dumps({"timestamp": "{iso}", "level": "ERROR", "requestId": "{rid}",
                               "message": "origin returned 502", "uri": path, "width": width})
            return self.invoke(region, IMAGE_RESIZE, at, [(40, _braces(line) + "\n")],
                               rng.uniform(40, 90), error=True)
        bytes_in = rng.randint(80_000, 2_400_000)
        line = json.dumps({"timestamp": "{iso}", "level": "INFO", "requestId": "{rid}",
                           "message": "resized", "uri": path, "width": width,
                           "bytes_in": bytes_in, "bytes_out": bytes_in // rng.randint(4, 12)})
        took = rng.randint(60, 400)
        return self.invoke(region, IMAGE_RESIZE, at, [(took, _braces(line) + "\n")],
                           took + rng.uniform(5, 40))


def _braces(text: str) -> str:
    """A JSON text as a str.format template: its own braces kept, {iso} and {rid} filled."""
    return text.replace("{", "{{").replace("}", "}}").replace("{{iso}}", "{iso}") \
        .replace("{{rid}}", "{rid}")


def generate(end_ms: int, requests: int = REQUESTS) -> Traffic:
    """The traffic of the WINDOW_MS before `end_ms`, the same for the same arguments."""
    gen = _Generator(end_ms)
    regions = list(REGION_WEIGHTS)
    weights = [REGION_WEIGHTS[r] for r in regions]
    # Every region gets a request in the first seconds, then viewers arrive at random.
    arrivals = [(gen.start_ms + 1000 * i, r) for i, r in enumerate(regions)]
    last = end_ms - 40_000  # room for the slowest request to finish inside the window
    arrivals += sorted((gen.rng.randint(gen.start_ms, last), gen.rng.choices(regions, weights)[0])
                       for _ in range(requests - len(regions)))
    for n, (at, region) in enumerate(arrivals):
        gen.request(region, at, FORCED.get(n, ""))
    return Traffic(gen.start_ms, end_ms, gen.streams, gen.invocations)


def batches(traffic: Traffic) -> Iterator[tuple[str, dict[str, Any]]]:
    """(region, DATA_MESSAGE) in the order a stream's events were written."""
    for stream in traffic.streams:
        events = sorted(stream.events, key=lambda e: (e["timestamp"], e["id"]))
        chunk: list[dict[str, Any]] = []
        for event in events:
            if chunk and event["timestamp"] - chunk[0]["timestamp"] >= BATCH_MS:
                yield stream.region, _message(stream, chunk)
                chunk = []
            chunk.append(event)
        if chunk:
            yield stream.region, _message(stream, chunk)


def _message(stream: Stream, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": stream.group,
        "logStream": stream.name,
        "subscriptionFilters": ["edgelogs"],
        "logEvents": events,
    }


def subscription_event(message: dict[str, Any]) -> dict[str, Any]:
    """The Lambda event CloudWatch Logs sends: {"awslogs": {"data": base64(gzip(json))}}."""
    raw = json.dumps(message).encode()
    return {"awslogs": {"data": base64.b64encode(gzip.compress(raw, mtime=0)).decode()}}
