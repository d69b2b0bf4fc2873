"""Builds the forwarder's deployment archive from lambda_src, small and byte-for-byte reproducible.

The archive holds `lambda_src/forwarder/**` plus the exact pins of `lambda_src/requirements.txt`
and their run-time dependencies, installed for the Lambda platform (arm64, the runtime's CPython).

Why each rule exists:
- `--no-deps` plus the reviewed `RUNTIME_DEPENDENCIES` below: opensearch-py 3.x declares
  opensearch-protobufs (and through it grpcio and protobuf, about 25 MB) that the HTTP client
  never imports; resolving normally would ship them to every region.
- fixed timestamps, sorted entries, fixed permissions, no install records: the zip's sha256 is
  Lambda's CodeSha256, so any byte that changes between two builds of the same inputs would
  redeploy every region on every `pulumi up`.
- bytecode shipped for the cold-start import path, compiled as unchecked-hash .pyc (no
  timestamps, never re-validated): Lambda's /var/task is read-only, so without it every cold
  start compiles opensearch-py, requests and urllib3 again (about 2.5 times slower here). Only
  what the handler imports gets a .pyc, which keeps the zip under 2 MB; that list is read from
  the bundle's own files (components/bundle_imports.py), never by importing them here, so it
  is the same on any build machine.
- bytecode compiled by one pinned CPython release (COMPILER_VERSION): .pyc bytes differ
  between patch releases of one minor version, so the release is an input like the pins.
- `PRUNED` below: parts of dependencies that the forwarder can never reach.
- a cache on disk keyed by a hash of every input (components/bundle_cache.py): a second
  preview installs nothing and needs no CPython 3.13, and an in-process memo makes the program
  build at most once per run however many regions ask.

`build_bundle` is the entry point; it reads as the list of steps below it, in order.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from components import bundle_cache
from components.bundle_cache import Bundle
from components.bundle_imports import Target, cold_start_modules
from components.bundle_python import BundleError, checked_python, minor_version, target_python

# Bundle and BundleError are part of this module's interface (the program, scripts/bundle).
__all__ = ["Bundle", "BundleError", "build_bundle", "unpack"]

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_SRC = REPO_ROOT / "lambda_src"
CACHE_DIR = REPO_ROOT / ".build"

# The deploy side must create the function with exactly these, or the wheels and bytecode below
# would not match the interpreter and CPU that run them. python3.13 rather than the newer
# python3.14: bytecode is version-specific and a CPython 3.13 is at hand to compile it (see
# components/bundle_python.py), which more than halves the cold-start import. Supported by
# Lambda to 2029.
PYTHON_VERSION = "3.13"
LAMBDA_RUNTIME = f"python{PYTHON_VERSION}"
# The CPython release that compiles the bytecode, an input of the bundle's bytes: built with
# 3.13.0 and with 3.13.5, the same inputs gave 51 of 174 .pyc files different bytes. 3.13.5
# is Debian 13's python3.13, and what .ci/cpython-3.13 builds from Debian's source package
# where no package of it exists. Any 3.13.x runs its bytecode (one magic number per minor).
COMPILER_VERSION = "3.13.5"
LAMBDA_ARCHITECTURE = "arm64"
PLATFORM = "manylinux2014_aarch64"

# Run-time dependencies of the pins in lambda_src/requirements.txt, pinned so that the bundle
# (and its hash) does not move when one of them publishes a release. Reviewed against the
# Requires-Dist of opensearch-py 3.2.0, requests-aws4auth 1.4.0 and requests 2.34.2 (a test
# re-checks the installed metadata so a bump of the forwarder's pins cannot leave one out).
RUNTIME_DEPENDENCIES: tuple[str, ...] = (
    "requests==2.34.2",  # opensearch-py's HTTP connection and requests-aws4auth
    "urllib3==2.7.0",  # requests, opensearch-py
    "certifi==2026.5.20",  # requests, opensearch-py (CA bundle)
    "idna==3.13",  # requests
    "charset-normalizer==3.4.7",  # requests (without it requests warns on every import)
    "python-dateutil==2.9.0.post0",  # opensearch-py (helpers import it at package import)
    "six==1.17.0",  # python-dateutil
    "Events==0.5",  # opensearch-py (metrics)
)

# Declared but never imported by the forwarder: opensearch-py's gRPC transport only.
EXCLUDED_DEPENDENCIES: dict[str, str] = {
    "opensearch-protobufs": "gRPC transport of opensearch-py; the forwarder speaks HTTP only",
}

# Installed files that the forwarder can never reach, with the reason; left out of the archive.
PRUNED: dict[str, str] = {
    # opensearch-py imports its asyncio client inside `try/except ImportError`; the client needs
    # aiohttp, which the bundle does not carry, so that import always fails - after compiling
    # part of it on every cold start. Gone, it fails at once. (_async/helpers stays: the sync
    # helpers import it unconditionally.)
    "opensearchpy/_async/client/": "asyncio client (needs aiohttp); the forwarder is sync",
    "opensearchpy/_async/plugins/": "asyncio client's plugin APIs",
    "opensearchpy/_async/http_aiohttp.py": "aiohttp connection",
    "opensearchpy/_async/transport.py": "asyncio transport",
    "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz": "tz database; the forwarder parses no zones",
    # urllib3's optional backends, none reachable on Lambda: requests imports pyopenssl only
    # when the ssl module lacks SNI (CPython's has it), tries socks inside `except ImportError`
    # (it needs PySocks, not bundled: gone, that import fails at once), and urllib3 loads
    # emscripten only under Pyodide (sys.platform "emscripten").
    "urllib3/contrib/pyopenssl.py": "needs pyOpenSSL; only for an ssl module without SNI",
    "urllib3/contrib/socks.py": "needs PySocks, not bundled",
    "urllib3/contrib/emscripten/": "urllib3 inside a browser (Pyodide)",
}

# Imported on a cold start, though no `import` statement at import time says so; compiled too.
PRECOMPILE_ALSO: tuple[str, ...] = (
    "requests_aws4auth",  # imported by forwarder.client on the first invocation
    "idna",  # requests.packages imports it with __import__(name), which no walk can read
)

# Bumped whenever the way the archive is laid out changes, so old cache entries are not reused.
BUILD_FORMAT = "3"

# Zip metadata fixed for reproducibility: the earliest time a zip can hold, unix, rw-r--r--.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16

# The program that compiles the bytecode, run as a file by the runtime's CPython.
PRECOMPILE_SCRIPT = Path(__file__).with_name("bundle_precompile.py")

Installer = Callable[[Sequence[str], Path, str, str], None]


def build_bundle(
    src_dir: Path = LAMBDA_SRC,
    cache_dir: Path = CACHE_DIR,
    compiler_version: str = COMPILER_VERSION,
    platform: str = PLATFORM,
    installer: Installer | None = None,
    python: str | None = None,
) -> Bundle:
    """The forwarder archive for these inputs: memoised per process, cached on disk by inputs.

    `installer` is for tests; by default pip installs the pins for the Lambda platform.
    `python` is the CPython that compiles the bytecode, which must be `compiler_version` (the
    cache key says so); by default one is looked for, only when the cache lacks the bundle.
    """
    # 1. The inputs, and the key they hash to.
    python_version = minor_version(compiler_version)
    pins = all_pins(src_dir / "requirements.txt")
    key = input_key(src_dir, pins, compiler_version, platform)
    # 2. A bundle built earlier from the same inputs is the answer.
    cached = bundle_cache.lookup(cache_dir, key)
    if cached is not None:
        return cached
    # 3. Only a build needs the runtime's CPython.
    exe = checked_python(python, compiler_version) if python else target_python(compiler_version)
    with bundle_cache.staging(cache_dir) as tmp:
        site = tmp / "site"
        site.mkdir()
        # 4. The pinned wheels for the Lambda platform.
        (installer or pip_install)(pins, site, python_version, platform)
        # 5. Minus what the forwarder never reaches (before compiling, so it stays out).
        prune(site)
        # 6. Plus the forwarder's own code.
        copy_sources(src_dir, site)
        # 7. Bytecode for what a cold start imports, chosen from the files alone.
        precompile(site, cold_start_files(site, python_version), exe)
        # 8. The zip, byte-for-byte reproducible.
        write_zip(archive_entries(site), tmp / "bundle.zip")
        # 9. Into the cache, for this run and the next.
        return bundle_cache.store(cache_dir, key, tmp / "bundle.zip")


def read_pins(requirements: Path) -> list[str]:
    """The requirement lines of a requirements file; each must be an exact `name==version` pin."""
    pins: list[str] = []
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip() or any(c in line for c in "<>~;[@ "):
            raise ValueError(f"{requirements}: {raw!r} is not an exact pin (name==version)")
        pins.append(f"{name.strip()}=={version.strip()}")
    return pins


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def all_pins(requirements: Path) -> list[str]:
    """The forwarder's own pins plus the reviewed run-time dependencies, sorted, no conflicts."""
    merged: dict[str, str] = {}
    for pin in [*read_pins(requirements), *RUNTIME_DEPENDENCIES]:
        name, _, version = pin.partition("==")
        key = _canonical(name)
        if key in EXCLUDED_DEPENDENCIES:
            raise ValueError(
                f"{pin} is pinned but excluded from the bundle: {EXCLUDED_DEPENDENCIES[key]}"
            )
        if merged.get(key, version) != version:
            raise ValueError(
                f"{name} pinned twice with different versions: {merged[key]} and {version}"
            )
        merged[key] = version
    return [f"{name}=={version}" for name, version in sorted(merged.items())]


def _source_files(src_dir: Path) -> list[Path]:
    # The forwarder package and, beside it, the data-only contract module it imports.
    contract = src_dir / "contract.py"
    return sorted(
        [p
         for p in (src_dir / "forwarder").rglob("*")
         if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}]
        + ([contract] if contract.is_file() else [])
    )


def input_key(src_dir: Path, pins: Sequence[str], compiler_version: str, platform: str) -> str:
    """sha256 over everything the archive depends on: sources, pins, compiler, platform, layout.

    Constants and files only: a cache hit needs no interpreter to be found or run.
    """
    h = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        # Length-prefixed so that no two different inputs can concatenate to the same stream.
        h.update(f"{label}:{len(data)}:".encode())
        h.update(data)

    feed("format", BUILD_FORMAT.encode())
    # What is left out changes the archive as much as what goes in.
    feed("pruned", json.dumps(sorted(PRUNED)).encode())
    feed("python", compiler_version.encode())
    feed("platform", platform.encode())
    for pin in pins:
        feed("pin", pin.encode())
    for path in _source_files(src_dir):
        feed("file", path.relative_to(src_dir).as_posix().encode())
        feed("content", path.read_bytes())
    return h.hexdigest()


def pip_install(pins: Sequence[str], target: Path, python_version: str, platform: str) -> None:
    """Installs the pins for the Lambda platform into `target`, wheels only, no dependency walk."""
    cmd = [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        "--platform", platform,
        "--only-binary=:all:",
        "--python-version", python_version,
        "--implementation", "cp",
        "--no-compile",
        # The dependency set is RUNTIME_DEPENDENCIES, reviewed; see the module docstring.
        "--no-deps",
        "--disable-pip-version-check",
        "--no-input",
        "--root-user-action=ignore",
        "--quiet",
        *pins,
    ]  # fmt: skip
    if subprocess.run(cmd).returncode != 0:
        # pip has said why above; this is the line that ends the command.
        raise BundleError(f"pip could not install the forwarder's pins for {platform}")


def _excluded(rel: str) -> bool:
    """True for installed files that vary between builds or are never imported on Lambda."""
    parts = rel.split("/")
    if any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PRUNED):
        return True
    if rel.endswith(".pyo") or (rel.endswith(".pyc") and "__pycache__" not in parts):
        return True
    # Console-script launchers carry the build machine's interpreter path in their shebang.
    if parts[0] == "bin":
        return True
    if len(parts) == 2 and parts[0].endswith(".dist-info"):
        # RECORD lists hashes of the install (and would list any pyc); INSTALLER, REQUESTED and
        # direct_url.json describe how this machine installed it, not what is shipped.
        return parts[1] in {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    return False


def _files_under(root: Path) -> Iterable[tuple[str, Path]]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def prune(site: Path) -> None:
    """Deletes the installed files that `_excluded` leaves out of the archive."""
    for rel, path in _files_under(site):
        if _excluded(rel):
            path.unlink()


def copy_sources(src_dir: Path, site: Path) -> None:
    """Copies lambda_src/forwarder/** to the archive's root, beside the dependencies."""
    for path in _source_files(src_dir):
        dest = site / path.relative_to(src_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def cold_start_files(site: Path, python_version: str) -> list[str]:
    """The staged .py files a cold start imports, read from the files (no import, no host)."""
    major, minor = (int(n) for n in python_version.split("."))
    target = Target(version=(major, minor), sys_platform="linux", os_name="posix")
    return cold_start_modules(site, ["forwarder.handler", *PRECOMPILE_ALSO], target)


def precompile(stage: Path, files: Sequence[str], python: str) -> None:
    """Compiles `files` (relative to `stage`) in the pinned CPython, run isolated (-I -S -B)."""
    result = subprocess.run(
        [python, "-I", "-S", "-B", str(PRECOMPILE_SCRIPT), str(stage), json.dumps(list(files))],
        capture_output=True, text=True, timeout=300,
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
    )  # fmt: skip
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BundleError(f"compiling the bundle's bytecode with {python} failed: {last}")


def archive_entries(site: Path) -> dict[str, Path]:
    """Archive name -> file, for everything staged that the archive ships."""
    return {rel: path for rel, path in _files_under(site) if not _excluded(rel)}


def write_zip(entries: dict[str, Path], dest: Path) -> None:
    """Writes a zip whose bytes depend only on the entries' names and contents."""
    with zipfile.ZipFile(dest, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.create_system = 3  # unix, so external_attr is read as a mode everywhere
            info.external_attr = _FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name].read_bytes(), compresslevel=9)


def unpack(bundle: Bundle, dest: Path) -> Path:
    """Extracts the archive (for checks and for replay-free import tests); returns `dest`."""
    if dest.exists():
        shutil.rmtree(dest)
    with zipfile.ZipFile(bundle.path) as zf:
        zf.extractall(dest)
    return dest
