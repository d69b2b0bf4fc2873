#!/usr/bin/env python3
"""Redaction's cost on the forwarder's CPU path: figures, not a timed test.

    python bench/redact_bench.py [--events 10000] [--runs 31]

One realistic 10,000-event Lambda@Edge batch (tests/forwarder/payloads.py: a fifth of the
lines name a viewer IP address, a fifth are JSON), decoded and built into bulk bodies
exactly as the handler does it (forwarder_bench.cpu_path), without redaction and with the
four text built-ins on (ipv4, ipv6, email, bearer), run back to back ``--runs`` times, in
alternating order, timed in CPU time of this process (time.process_time: what other
programs on a shared machine do is not counted). The ratio is the median of the per-round
ratios (two runs a few milliseconds apart, so the machine's drift does not move it).
Target: at most 1.3.

The last line is:
summary-redact: events=N off_ms=X on_ms=Y ratio=R redacted_lines=K
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src")]

from forwarder.bulk import Shipper  # noqa: E402
from forwarder.handler import prepare  # noqa: E402
from forwarder.redact import Redactor  # noqa: E402

from tests.forwarder.payloads import encode, payload, realistic_events  # noqa: E402

REGION, PREFIX = "eu-west-1", "lambda-edge"
TEXT_BUILTINS = ["ipv4", "ipv6", "email", "bearer"]


def cpu_path(event: dict, redactor: Redactor | None) -> int:
    """decode -> bulk bodies (forwarder_bench.cpu_path), with or without redaction."""
    _, batch = prepare(event, REGION, PREFIX, time.time_ns() // 1_000_000, redactor)
    shipper = Shipper(None, 0.0, 0.0, 5 * 1024 * 1024, 10_000, 1.0)  # type: ignore[arg-type]
    lines = batch.lines
    n = 0
    for chunk in shipper.chunks(lines, range(len(lines)), batch.indices):
        n += len("".join(lines[chunk[0]:chunk[-1] + 1]).encode("ascii"))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    event = encode(payload(realistic_events(args.events)))
    redactor = Redactor.from_config(TEXT_BUILTINS)
    _, plain = prepare(event, REGION, PREFIX, 0)
    _, redacted = prepare(event, REGION, PREFIX, 0, redactor)
    changed = sum(a != b for a, b in zip(plain.lines, redacted.lines, strict=True))
    cpu_path(event, None)
    cpu_path(event, redactor)  # warm both
    offs, ons, ratios = [], [], []
    for i in range(args.runs):
        # Which runs first alternates: the second run of a pair is a few per cent slower
        # (the first one's garbage), which would otherwise count against one side.
        first, second = (None, redactor) if i % 2 == 0 else (redactor, None)
        t0 = time.process_time()
        cpu_path(event, first)
        t1 = time.process_time()
        cpu_path(event, second)
        t2 = time.process_time()
        off, on = (t1 - t0, t2 - t1) if first is None else (t2 - t1, t1 - t0)
        offs.append(off)
        ons.append(on)
        ratios.append(on / off)
    off_ms, on_ms = min(offs) * 1000, min(ons) * 1000
    ratio = statistics.median(ratios)
    print(f"CPU path, {args.events} events, best of {args.runs} (CPU time): redaction off "
          f"{off_ms:.1f} ms, ipv4+ipv6+email+bearer on {on_ms:.1f} ms; {changed} lines redacted")
    print(f"median per-round ratio on/off: {ratio:.3f} (target <= 1.3)")
    print(f"summary-redact: events={args.events} off_ms={off_ms:.1f} on_ms={on_ms:.1f} "
          f"ratio={ratio:.3f} redacted_lines={changed}")


if __name__ == "__main__":
    main()
