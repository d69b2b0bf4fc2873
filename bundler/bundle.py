"""What a build returns, and the error that says why there is none."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path


class BundleError(RuntimeError):
    """The bundle cannot be built here; the message (one line) says why."""


@dataclass(frozen=True)
class Bundle:
    path: Path  # the zip file
    sha256: str  # hex digest of the zip's bytes
    zip_bytes: int

    @property
    def source_code_hash(self) -> str:
        """base64 of the raw sha256, the form Lambda's CodeSha256 uses."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()

    @classmethod
    def of(cls, path: Path) -> Bundle:
        data = path.read_bytes()
        return cls(path=path, sha256=hashlib.sha256(data).hexdigest(), zip_bytes=len(data))
