#!/usr/bin/env python3
"""Deploy-side scale benchmark: the whole program under Pulumi mocks, regions x edge functions.

Prints, for each size, the resources registered and the seconds the program took, then the
per-(region x function) cost so linear growth is visible. A command that prints figures, not
a test: `python bench/deploy_bench.py` (target: 30 x 10 under 5 s); with `--write-docs` it also
writes them into docs/performance.md.

The regions are real (botocore's), so the config validation runs exactly as in a deploy.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import docs_block  # noqa: E402
from components import aws_catalog  # noqa: E402
from tests.deploy.harness import fake_bundle, run_program  # noqa: E402

SIZES = [(1, 1), (5, 2), (10, 5), (20, 10), (30, 10)]


def _regions(n: int) -> list[str]:
    aws = sorted(r for r, p in aws_catalog.region_partitions().items() if p == "aws")
    if n > len(aws):
        raise SystemExit(f"only {len(aws)} commercial regions in botocore's data, asked {n}")
    return aws[:n]


def measure(regions: int, functions: int, bundle_dir: Path) -> tuple[int, float]:
    config = {
        "regions": _regions(regions),
        "edgeFunctions": [f"edge-fn-{i}" for i in range(functions)],
        "alarmEmail": "oncall@example.com",
    }
    start = time.perf_counter()
    result = run_program(config, bundle=fake_bundle(bundle_dir))
    seconds = time.perf_counter() - start
    return len(result.resources), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is shown")
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the printed figures into docs/performance.md")
    args = parser.parse_args()
    with docs_block.printed() as lines:
        sizes(args.repeat)
    if args.write_docs:
        docs_block.write({"deploy": lines},
                         shlex.join(["python", "bench/deploy_bench.py", *sys.argv[1:]]))
        print(f"written: deploy in {docs_block.DOCS.relative_to(REPO)}")


def sizes(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle_dir = Path(tmp)
        measure(1, 1, bundle_dir)  # warm-up: imports pulumi_aws modules once
        header = ("regions", "functions", "resources", "seconds", "ms/resource")
        print("{:>7} {:>9} {:>9} {:>8} {:>11}".format(*header))
        last = (0, 0.0)
        for regions, functions in SIZES:
            runs = [measure(regions, functions, bundle_dir) for _ in range(repeat)]
            count = runs[0][0]
            best = min(s for _, s in runs)
            per = 1000 * best / count
            print(f"{regions:>7} {functions:>9} {count:>9} {best:>8.2f} {per:>11.2f}")
            last = (count, best)
        count, best = last
        verdict = "OK" if best < 5 else "OVER TARGET"
        print(f"deploy_bench: 30x10 resources={count} seconds={best:.2f} target<5s {verdict}")


if __name__ == "__main__":
    main()
