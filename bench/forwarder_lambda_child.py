"""Invocations on a Lambda-sized share of a CPU; run by bench/forwarder_bench.py (part 5).

    python forwarder_lambda_child.py ROOT ENDPOINT CGROUP_PROCS PAIRS LEVELS

Builds its batches first, then moves itself into the cgroup whose ``cgroup.procs`` file is
CGROUP_PROCS (a CPU quota the size of the function's share) and runs the bench's own pairs
(``forwarder_bench.paired_levels``) for LEVELS (comma-separated ``BULK_CONCURRENCY`` values)
against the sequential path. Prints its result as one JSON line.
"""

import json
import os
import sys


def main(root: str, endpoint: str, procs: str, pairs: str, levels: str) -> None:
    sys.path[:0] = [os.path.join(root, "bench")]
    import forwarder_bench as bench

    wanted = tuple(int(c) for c in levels.split(","))
    n = 10_000
    # Built before the quota: at the function's share, making a batch would take seconds.
    batches = {k: bench.fresh_batch(n, k)
               for k in range(bench.WARM_BATCHES + 2 * int(pairs) * len(wanted))}
    with open(procs, "w") as f:  # from here on, the function's share of a CPU
        f.write(str(os.getpid()))
    print(json.dumps(bench.paired_levels(endpoint, n, int(pairs), wanted, batches.pop)))


if __name__ == "__main__":
    main(*sys.argv[1:6])
