"""Invocations on a Lambda-sized share of a CPU; run by bench/forwarder_bench.py (part 5).

    python forwarder_lambda_child.py ROOT ENDPOINT INDEX_PREFIX CGROUP_PROCS PAIRS LEVELS

Builds its batches first, then moves itself into the cgroup whose ``cgroup.procs`` file is
CGROUP_PROCS (a CPU quota the size of the function's share), warms up, and runs PAIRS pairs
of invocations for each level of LEVELS (comma-separated ``BULK_CONCURRENCY`` values): the
sequential path against that level, which one goes first alternating. Prints one JSON line,
level -> {"seq": [ms...], "conc": [ms...]}.
"""

import contextlib
import io
import json
import os
import sys
import time


def main(root: str, endpoint: str, index_prefix: str, procs: str, pairs: str,
         levels: str) -> None:
    sys.path[:0] = [root, os.path.join(root, "lambda_src")]
    from forwarder.client import make_client
    from forwarder.handler import process
    from forwarder.settings import Settings

    from tests.forwarder.payloads import BASE_MS, encode, payload, realistic_events

    wanted = [int(c) for c in levels.split(",")]
    settings = {c: Settings.from_env({"OPENSEARCH_ENDPOINT": endpoint, "AWS_REGION": "eu-west-1",
                                      "INDEX_PREFIX": index_prefix,
                                      "BULK_CONCURRENCY": str(c)}) for c in [1, *wanted]}
    client = make_client(settings[1])
    count = 2 * int(pairs) * len(wanted) + len(settings)
    # Same day, new events each time (16:00 UTC minus k minutes), built before the quota.
    batches = [encode(payload(realistic_events(10_000, seed=50_000 + k,
                                               base_ms=BASE_MS - k * 60_000)))
               for k in range(count)]
    with open(procs, "w") as f:  # from here on, the function's share of a CPU
        f.write(str(os.getpid()))

    def run(level: int) -> float:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            summary = process(batches.pop(), settings[level], client, time.monotonic() + 300)
        assert summary.stored == 10_000, summary
        return (time.perf_counter() - t0) * 1000

    for level in settings:  # warm: templates, the day's index, connections
        run(level)
    out: dict[int, dict[str, list[float]]] = {c: {"seq": [], "conc": []} for c in wanted}
    for p in range(int(pairs)):
        for c in wanted:
            sides = [("seq", 1), ("conc", c)]
            for side, level in sides if p % 2 == 0 else sides[::-1]:
                out[c][side].append(run(level))
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:7])
