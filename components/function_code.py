"""FunctionCode: what a Lambda function runs, in one value (forwarder, coverage check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class FunctionCode:
    archive: pulumi.Input[pulumi.Archive]
    # base64 sha256 of the zip: a changed hash (not a changed path) makes Lambda update the code.
    source_code_hash: pulumi.Input[str]
    runtime: pulumi.Input[str]
    architecture: pulumi.Input[str]

    def function_args(self) -> dict[str, Any]:
        """The arguments of ``aws.lambda_.Function`` that say what it runs."""
        return {
            "runtime": self.runtime,
            "architectures": [self.architecture],
            "code": self.archive,
            "source_code_hash": self.source_code_hash,
        }
