"""build(): one function's archive, from its inputs, reproducibly; read as its steps in order."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from bundler import cache
from bundler.archive import write_zip
from bundler.bundle import Bundle, BundleError
from bundler.functions import LAMBDA_SRC, PLATFORM, PYTHON_VERSION, REPO_ROOT, function
from bundler.install import installed_files, pip_install
from bundler.pins import all_pins
from bundler.sources import source_files

CACHE_DIR = REPO_ROOT / ".build"
BUNDLER_DIR = Path(__file__).resolve().parent

Installer = Callable[[Sequence[str], Path, str, str], None]


def build(
    package: str,
    src_dir: Path = LAMBDA_SRC,
    cache_dir: Path = CACHE_DIR,
    installer: Installer | None = None,
) -> Bundle:
    """The archive of function `package`: memoised per process, cached on disk by its inputs.

    `installer` is for tests; by default pip installs the pins for the Lambda platform.
    """
    spec = function(package)
    # 1. The inputs, and the key they hash to.
    sources = source_files(src_dir, package)
    pins = all_pins(src_dir / spec.requirements) if spec.requirements else []
    key = input_key(sources, pins, PYTHON_VERSION, PLATFORM)
    # 2. A bundle built earlier from the same inputs is the answer.
    cached = cache.lookup(cache_dir, package, key)
    if cached is not None:
        return cached
    with cache.staging(cache_dir) as tmp:
        site = tmp / "site"
        site.mkdir()
        # 3. The pinned wheels for the Lambda platform, minus what never ships.
        if pins:
            (installer or pip_install)(pins, site, PYTHON_VERSION, PLATFORM)
        entries = dict(installed_files(site))
        # 4. Plus the function's own code, which no dependency may overwrite.
        clash = sorted(entries.keys() & sources.keys())
        if clash:
            raise BundleError(f"{package}: a dependency installs {clash[0]}, a file of its own")
        entries |= sources
        # 5. The zip, byte-for-byte reproducible, into the cache for this run and the next.
        write_zip(entries, tmp / "bundle.zip")
        return cache.store(cache_dir, package, key, tmp / "bundle.zip")


def input_key(
    sources: dict[str, Path], pins: Sequence[str], python_version: str, platform: str
) -> str:
    """sha256 over everything the archive depends on: sources, pins, target, the bundler itself.

    Files and constants only: a cache hit runs nothing. The bundler's own modules are an input,
    so a change to how archives are laid out never reuses an old one.
    """
    h = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        # Length-prefixed so that no two different inputs can concatenate to the same stream.
        h.update(f"{label}:{len(data)}:".encode())
        h.update(data)

    for path in sorted(BUNDLER_DIR.glob("*.py")):
        feed("bundler", path.name.encode() + b"\0" + path.read_bytes())
    feed("python", python_version.encode())
    feed("platform", platform.encode())
    for pin in pins:
        feed("pin", pin.encode())
    for name, path in sources.items():
        feed("file", name.encode())
        feed("content", path.read_bytes())
    return h.hexdigest()

