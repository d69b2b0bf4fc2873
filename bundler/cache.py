"""Built bundles: on disk by input key, and in memory for one program run.

A second preview with unchanged inputs finds its bundle here and builds nothing (no pip, no
network); a program run that asks once per region builds once.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bundler.bundle import Bundle

# Enough for a few branches or stacks built from one checkout; older bundles are only disk.
CACHE_KEEP = 8

# (cache dir, input key) -> bundle, so one program run hashes sources but builds at most once.
_built: dict[tuple[str, str], Bundle] = {}


def _path(cache_dir: Path, package: str, key: str) -> Path:
    return cache_dir / f"{package}-{key[:24]}.zip"


def lookup(cache_dir: Path, package: str, key: str) -> Bundle | None:
    """The bundle built earlier from the inputs hashed as `key`, or None."""
    memo_key = (str(cache_dir.resolve()), key)
    if memo_key in _built and _built[memo_key].path.is_file():
        return _built[memo_key]
    path = _path(cache_dir, package, key)
    if not path.is_file():
        return None
    _built[memo_key] = Bundle.of(path)
    return _built[memo_key]


@contextlib.contextmanager
def staging(cache_dir: Path) -> Iterator[Path]:
    """A scratch folder beside the cache (same file system, so `store` can rename)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="staging-", dir=cache_dir) as tmp:
        yield Path(tmp)


def store(cache_dir: Path, package: str, key: str, built: Path) -> Bundle:
    """Moves the zip at `built` into the cache as the bundle for `key`; drops old bundles."""
    path = _path(cache_dir, package, key)
    # Atomic, so a concurrent build (another test worker, another preview) never sees a
    # half-written file; both would write identical bytes anyway.
    os.replace(built, path)
    prune(cache_dir, keep=path)
    bundle = lookup(cache_dir, package, key)
    assert bundle is not None
    return bundle


def prune(cache_dir: Path, keep: Path, limit: int = CACHE_KEEP) -> list[Path]:
    """Deletes all but the `limit` most recently built bundles (never `keep`); returns them."""
    bundles = sorted(
        (p for p in cache_dir.glob("*.zip") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    removed = bundles[max(limit - 1, 0) :]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
