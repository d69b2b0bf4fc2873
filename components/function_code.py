"""FunctionCode: what a Lambda function runs, in one value (forwarder, coverage check)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class FunctionCode:
    archive: pulumi.Input[pulumi.Archive]
    # base64 sha256 of the zip: a changed hash (not a changed path) makes Lambda update the code.
    source_code_hash: pulumi.Input[str]
    runtime: pulumi.Input[str]
    architecture: pulumi.Input[str]
