"""Builds each Lambda function's deployment archive from lambda_src: sources only, reproducible.

One function, one zip: its package (`lambda_src/<package>/`), the top-level modules of
lambda_src it imports (`contract.py`), and, for a function with a requirements file, the exact
pins installed for the Lambda platform. No bytecode: any CPython 3.11+ on any host builds the
same bytes, so the sha256 (Lambda's CodeSha256) moves only when an input does.

    build("forwarder") -> Bundle(path, sha256, zip_bytes)

Modules: functions (what each function ships, the runtime), sources (its files), pins and
install (its dependencies), archive (the zip), cache (built bundles), builder (the steps),
probe (imports an unpacked bundle in a clean interpreter, for checks and timing).
The deploy side (components/function_code.py) and scripts/bundle use it.
"""

from bundler.builder import build
from bundler.bundle import Bundle, BundleError
from bundler.functions import FUNCTIONS, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, Function

__all__ = [
    "FUNCTIONS",
    "LAMBDA_ARCHITECTURE",
    "LAMBDA_RUNTIME",
    "Bundle",
    "BundleError",
    "Function",
    "build",
]
