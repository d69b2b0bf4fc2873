"""Builds a function's bundle (cached in .build/) and reports its size, hash and import time.

Last line: `bundle: path=P zip_bytes=N sha256=H cold_import_ms=M`, where M is the median time
to import the function's handler in fresh interpreters (this Python, `-I -S -B`) that see only
the unpacked bundle, the stdlib and boto3/botocore, compiling its sources and writing no
bytecode, as on Lambda's read-only /var/task. A figure to read, not a target.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import bundler
from bundler.archive import unpack
from bundler.functions import LAMBDA_SRC, PLATFORM
from bundler.probe import cold_import_ms, import_in_clean_interpreter, runtime_shim
from ops.cli import CommandError, Parser
from ops.exit_codes import Exit

PROG = "edgelogs bundle"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return check(argv)
    except bundler.BundleError as exc:
        # pip, when it fails, has already printed its own reason above.
        raise CommandError(str(exc).splitlines()[0]) from None


def check(argv: Sequence[str] | None) -> int:
    parser = Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--function", default="forwarder", choices=sorted(bundler.FUNCTIONS),
        help="the function package in lambda_src (default: forwarder)",
    )  # fmt: skip
    parser.add_argument(
        "--src", type=Path, default=LAMBDA_SRC, help="lambda_src folder (default: the repo's)"
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters to time")
    args = parser.parse_args(argv)
    if not (args.src / args.function).is_dir():
        parser.error(f"--src {args.src}: no {args.function}/ there (expected a lambda_src folder)")

    bundle = bundler.build(args.function, args.src)
    module = f"{args.function}.handler"
    with tempfile.TemporaryDirectory(prefix="bundle-check-") as tmp:
        unpacked = unpack(bundle.path, Path(tmp) / "task")
        shim = runtime_shim(Path(tmp) / "runtime")
        origins = import_in_clean_interpreter(unpacked, shim, module)["origins"]
        outside = sorted(
            name for name, path in origins.items()
            if not path.startswith((str(unpacked), str(shim))) and "site-packages" in path
        )  # fmt: skip
        if outside:
            raise CommandError(f"modules imported from outside the bundle: {outside}")
        cold = cold_import_ms(unpacked, shim, module, runs=args.runs)
    print(
        f"runtime={bundler.LAMBDA_RUNTIME} platform={PLATFORM} "
        f"sha256_b64={bundle.source_code_hash} measured_with=python{sys.version.split()[0]}"
    )
    print(
        f"bundle: path={bundle.path} zip_bytes={bundle.zip_bytes} sha256={bundle.sha256} "
        f"cold_import_ms={cold:.0f}"
    )
    return Exit.OK
