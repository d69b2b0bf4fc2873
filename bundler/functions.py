"""The Lambda functions lambda_src holds, and the runtime they all run on.

Adding a function package is one line in FUNCTIONS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundler.bundle import BundleError

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO_ROOT / "lambda_src"

# The deploy side creates every function with exactly these: the wheels installed below are
# for this CPython minor version and CPU. Python 3.13 is supported by Lambda to 2029
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). Only the wheels depend
# on it; the bundle ships sources, which any 3.13.x compiles at import.
PYTHON_VERSION = "3.13"
LAMBDA_RUNTIME = f"python{PYTHON_VERSION}"
LAMBDA_ARCHITECTURE = "arm64"
PLATFORM = "manylinux2014_aarch64"  # the wheels' platform tag for arm64 (Graviton) Linux


@dataclass(frozen=True)
class Function:
    """One function's code: `lambda_src/<package>/`, plus its pinned dependencies if any."""

    package: str
    # A requirements file in lambda_src of exact pins, installed beside the package; None for
    # a function that needs only the standard library and the runtime's boto3.
    requirements: str | None = None


FUNCTIONS: dict[str, Function] = {
    f.package: f
    for f in (
        Function("forwarder", requirements="requirements.txt"),
        Function("edge_coverage"),
        Function("domain_setup"),
    )
}


def function(package: str) -> Function:
    """The function named `package`; a BundleError that lists the known ones otherwise."""
    try:
        return FUNCTIONS[package]
    except KeyError:
        raise BundleError(
            f"no function package {package!r} in bundler.FUNCTIONS (known: "
            f"{', '.join(sorted(FUNCTIONS))})"
        ) from None
