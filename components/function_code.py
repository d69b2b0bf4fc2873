"""FunctionCode: what a Lambda function runs, in one value (forwarder, coverage check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

import bundler


@dataclass(frozen=True)
class FunctionCode:
    archive: pulumi.Input[pulumi.Archive]
    # base64 sha256 of the zip: a changed hash (not a changed path) makes Lambda update the code.
    source_code_hash: pulumi.Input[str]
    runtime: pulumi.Input[str]
    architecture: pulumi.Input[str]

    @classmethod
    def of_package(cls, package: str) -> FunctionCode:
        """The code of `lambda_src/<package>`, built by the bundler (once per run, cached)."""
        bundle = bundler.build(package)
        return cls(
            pulumi.FileArchive(str(bundle.path)), bundle.source_code_hash,
            bundler.LAMBDA_RUNTIME, bundler.LAMBDA_ARCHITECTURE,
        )  # fmt: skip

    def function_args(self) -> dict[str, Any]:
        """The arguments of ``aws.lambda_.Function`` that say what it runs."""
        return {
            "runtime": self.runtime,
            "architectures": [self.architecture],
            "code": self.archive,
            "source_code_hash": self.source_code_hash,
        }
