"""Builds the forwarder's deployment archive from lambda_src (interface; implementation pending)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bundle:
    path: Path  # the zip file
    sha256: str  # hex digest of the zip's bytes
    zip_bytes: int

    @property
    def source_code_hash(self) -> str:
        """base64 of the raw sha256, the form Lambda's CodeSha256 uses."""
        import base64

        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def build_bundle() -> Bundle:
    raise NotImplementedError("components.bundle.build_bundle is being written")
