"""The forwarder bundle: reproducible, cached, small, complete, and free of what is never used."""

from __future__ import annotations

import email
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from components import bundle as bundle_mod
from components import bundle_cache, bundle_python
from components.bundle import (
    EXCLUDED_DEPENDENCIES,
    PYTHON_VERSION,
    RUNTIME_DEPENDENCIES,
    Bundle,
    build_bundle,
    input_key,
    read_pins,
    write_zip,
)
from ops.bundle_check import import_in_clean_interpreter, run_in_clean_interpreter, runtime_shim

MAX_ZIP_BYTES = 2_000_000
CACHE_TAG = f"cpython-{PYTHON_VERSION.replace('.', '')}"


def _magic_number(python: str) -> bytes:
    """The .pyc magic number of the CPython at `python`, asked of that interpreter itself."""
    out = subprocess.run(
        [python, "-I", "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return bytes.fromhex(out.stdout.strip())


# The environment Lambda evaluates dependency markers in (the runtime's Python on arm64 Linux).
LAMBDA_MARKERS = {
    "python_version": PYTHON_VERSION,
    "python_full_version": f"{PYTHON_VERSION}.0",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


def _names(b: Bundle) -> list[str]:
    with zipfile.ZipFile(b.path) as zf:
        return zf.namelist()


def _fail_install(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the installer ran although the cache holds this bundle")


def test_two_builds_from_the_same_inputs_are_identical(
    bundle: Bundle, runtime_python: str, tmp_path: Path
) -> None:
    # A cache of its own, so pip really installs a second time.
    again = build_bundle(cache_dir=tmp_path, python=runtime_python)
    assert again.path != bundle.path
    assert again.sha256 == bundle.sha256
    assert again.path.read_bytes() == bundle.path.read_bytes()
    assert hashlib.sha256(again.path.read_bytes()).hexdigest() == again.sha256


def test_second_build_hits_the_disk_cache_and_installs_nothing(
    bundle: Bundle, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forget this process's memo: what is left is a new program run with the .build/ cache.
    monkeypatch.setattr(bundle_cache, "_built", {})
    # It must neither look for the runtime's CPython nor install nor compile nor start anything.
    monkeypatch.setattr(bundle_mod, "target_python", _fail_install)
    monkeypatch.setattr(bundle_mod, "pip_install", _fail_install)
    monkeypatch.setattr(bundle_mod, "precompile", _fail_install)
    monkeypatch.setattr(bundle_mod.subprocess, "run", _fail_install)
    again = build_bundle(cache_dir=cache_dir)
    assert again == bundle


def test_one_program_run_builds_once(bundle: Bundle, cache_dir: Path) -> None:
    assert build_bundle(cache_dir=cache_dir) is build_bundle(cache_dir=cache_dir)


def test_zip_is_at_most_2_mb(bundle: Bundle) -> None:
    assert bundle.zip_bytes == bundle.path.stat().st_size
    assert bundle.zip_bytes <= MAX_ZIP_BYTES, f"{bundle.zip_bytes} bytes"


def test_forbidden_content_is_absent(bundle: Bundle) -> None:
    names = _names(bundle)
    for name in names:
        parts = name.split("/")
        if "__pycache__" in parts:
            # Only the bytecode compiled for the runtime, beside a source it was compiled from.
            assert name.endswith(f".{CACHE_TAG}.pyc"), name
            source = "/".join([*parts[:-2], parts[-1].split(".")[0] + ".py"])
            assert source in names, name
        assert not name.endswith(".pyo") and (name.endswith(".pyc") <= ("__pycache__" in parts))
        assert parts[0] != "bin", name
        assert parts[0].split("-")[0] not in {"opensearch_protobufs", "grpc", "grpcio", "google",
                                              "protobuf", "boto3", "botocore"}, name  # fmt: skip
        if parts[0].endswith(".dist-info"):
            assert parts[-1] not in {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}, name


def test_bytecode_is_for_the_runtime_unchecked_and_covers_the_cold_start(
    bundle: Bundle, unpacked: Path, runtime_python: str, tmp_path: Path
) -> None:
    target_magic = _magic_number(runtime_python)
    names = _names(bundle)
    pycs = [n for n in names if n.endswith(".pyc")]
    assert "forwarder/__pycache__/handler.cpython-313.pyc" in pycs
    assert "opensearchpy/__pycache__/transport.cpython-313.pyc" in pycs
    assert "requests_aws4auth/__pycache__/aws4auth.cpython-313.pyc" in pycs
    with zipfile.ZipFile(bundle.path) as zf:
        for name in pycs:
            head = zf.read(name)[:8]
            # PEP 552 header: the runtime's magic number, then flags 0b01 = hash-based and
            # not checked against the source (no timestamp: reproducible; nothing to re-read).
            assert head[:4] == target_magic, name
            assert int.from_bytes(head[4:8], "little") == 1, name
    # The cold start runs on the shipped bytecode alone: with every compiled module's source
    # replaced by code that would fail, the handler still imports.
    poisoned = tmp_path / "poisoned"
    shutil.copytree(unpacked, poisoned)
    for pyc in poisoned.rglob(f"*.{CACHE_TAG}.pyc"):
        source = pyc.parent.parent / (pyc.name.split(".")[0] + ".py")
        source.write_text("raise ImportError('the source was compiled, not the .pyc')\n")
    shim = runtime_shim(tmp_path / "runtime")
    origins = import_in_clean_interpreter(poisoned, shim)["origins"]
    assert origins["forwarder"].startswith(str(poisoned))


def test_every_module_a_cold_start_loads_from_the_bundle_has_bytecode(
    bundle: Bundle, unpacked: Path, tmp_path: Path
) -> None:
    # The list was read from the files (components/bundle_imports.py); here the runtime's
    # CPython really imports the handler (and what the first invocation adds) and every
    # bundle module it loaded must have had its .pyc shipped.
    names = set(_names(bundle))
    shim = runtime_shim(tmp_path / "runtime")
    loaded: set[str] = set()
    for module in ("forwarder.handler", *bundle_mod.PRECOMPILE_ALSO):
        files = import_in_clean_interpreter(unpacked, shim, module=module)["files"]
        loaded |= {Path(f).relative_to(unpacked).as_posix() for f in files
                   if f.startswith(str(unpacked) + "/") and f.endswith(".py")}  # fmt: skip
    assert "forwarder/handler.py" in loaded and "opensearchpy/transport.py" in loaded
    for rel in sorted(loaded):
        folder, _, name = rel.rpartition("/")
        pyc = f"{folder}/__pycache__/{name[:-3]}.{CACHE_TAG}.pyc".lstrip("/")
        assert pyc in names, f"{rel} is imported on a cold start but has no bytecode"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (None, r"EDGELOGS_BUNDLE_PYTHON=\S+: no such file"),
        ("#!/bin/sh\nexit 3\n", r"EDGELOGS_BUNDLE_PYTHON=\S+ is not a working CPython"),
        ("#!/bin/sh\necho cpython 3.9.1\n", r"=\S+ is CPython 3\.9\.1, not 3\.13"),
    ],
)
def test_a_wrong_runtime_python_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, script: str | None, expected: str
) -> None:
    bogus = tmp_path / "python"
    if script is not None:
        bogus.write_text(script)
        bogus.chmod(0o755)
    monkeypatch.setenv(bundle_python.PYTHON_ENV, str(bogus))
    with pytest.raises(bundle_python.BundleError, match=expected) as raised:
        bundle_python.target_python.__wrapped__(PYTHON_VERSION)
    assert "\n" not in str(raised.value)


def _fake_installer(pins: object, target: Path, *_args: object) -> None:
    """Stands in for pip: one tiny package, so a build needs no registry."""
    (target / "tinydep").mkdir()
    (target / "tinydep" / "__init__.py").write_text("VALUE = 1\n")


def _tiny_src(root: Path) -> Path:
    (root / "forwarder").mkdir(parents=True)
    (root / "forwarder" / "__init__.py").write_text("")
    (root / "forwarder" / "handler.py").write_text("import tinydep\n")
    (root / "requirements.txt").write_text("opensearch-py==3.2.0\n")
    return root


def test_a_cached_bundle_needs_no_runtime_python(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Built once with this interpreter standing in for the runtime's (no CPython 3.13 needed).
    src, cache = _tiny_src(tmp_path / "src"), tmp_path / "cache"
    here = platform.python_version()
    first = build_bundle(src, cache, here, installer=_fake_installer, python=sys.executable)
    # A later program run on a machine without any CPython 3.13: nothing to search, PATH
    # empty, the variable pointing nowhere. The cached bundle is still the answer.
    monkeypatch.setattr(bundle_cache, "_built", {})
    monkeypatch.setenv(bundle_python.PYTHON_ENV, str(tmp_path / "no-such-python"))
    monkeypatch.setenv("PATH", "")
    # The search itself, not its answer remembered from earlier in this process.
    monkeypatch.setattr(bundle_mod, "target_python", bundle_python.target_python.__wrapped__)
    again = build_bundle(src, cache, here, installer=_fail_install)
    assert again == first
    # And a changed forwarder does need it, with the one-line reason.
    (src / "forwarder" / "handler.py").write_text("import tinydep  # changed\n")
    with pytest.raises(bundle_python.BundleError, match="no such file"):
        build_bundle(src, cache, here, installer=_fail_install)


def test_an_interpreter_of_another_release_cannot_build_under_the_pinned_key(
    tmp_path: Path,
) -> None:
    # The cache key names the compiler release; an interpreter of another one would store
    # other bytes under it.
    src = _tiny_src(tmp_path / "src")
    with pytest.raises(bundle_python.BundleError, match=r"is CPython \S+, not 3\.13\.5"):
        build_bundle(src, tmp_path / "cache", "3.13.5", installer=_fail_install,
                     python=sys.executable)  # fmt: skip


def test_entries_are_sorted_with_fixed_times_and_modes(bundle: Bundle) -> None:
    with zipfile.ZipFile(bundle.path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_forwarder_code_is_at_the_archive_root(bundle: Bundle) -> None:
    names = set(_names(bundle))
    assert {"forwarder/__init__.py", "forwarder/handler.py"} <= names
    assert not any(n.startswith(("lambda_src/", "components/", "tests/")) for n in names)


def test_handler_imports_from_the_unpacked_bundle_alone(unpacked: Path, tmp_path: Path) -> None:
    # -I -S: no site-packages; only the bundle, the stdlib and the runtime's boto3/botocore.
    shim = runtime_shim(tmp_path / "runtime")
    result = import_in_clean_interpreter(unpacked, shim)
    origins = result["origins"]
    for module in ("forwarder", "opensearchpy", "requests", "requests_aws4auth", "urllib3"):
        if module in origins:
            assert origins[module].startswith(str(unpacked)), (module, origins[module])
    assert origins["forwarder"].startswith(str(unpacked))
    strays = {m: p for m, p in origins.items() if "site-packages" in p and not
              p.startswith((str(unpacked), str(shim)))}  # fmt: skip
    assert not strays


_INVOKE = """
import base64, gzip, json
from forwarder.handler import lambda_handler

class Context:
    aws_request_id = "0f0e0d0c-0000-4000-8000-000000000000"
    def get_remaining_time_in_millis(self):
        return 30_000

control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
           "logStream": "", "subscriptionFilters": [], "logEvents": []}
data = base64.b64encode(gzip.compress(json.dumps(control).encode())).decode()
result = lambda_handler({"awslogs": {"data": data}}, Context())
print("RESULT " + json.dumps(result))
"""


def test_handler_runs_from_the_bundle_with_a_signing_client(unpacked: Path, tmp_path: Path) -> None:
    # The Lambda's real path: settings from the environment, a SigV4 client built from the
    # runtime's botocore credentials (requests-aws4auth is imported only here), and an
    # invocation. A control message is acknowledged without any request, so no network.
    env = {
        "OPENSEARCH_ENDPOINT": "https://search-edgelogs-abc.eu-central-1.es.amazonaws.com",
        "OPENSEARCH_SERVICE": "es",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "token",
    }
    out = run_in_clean_interpreter(unpacked, runtime_shim(tmp_path / "runtime"), _INVOKE, env)
    result = json.loads(out.split("RESULT ", 1)[1])
    assert result["outcome"] == "control_message"


def test_every_declared_runtime_dependency_is_in_the_bundle(unpacked: Path) -> None:
    installed: dict[str, str] = {}
    requires: list[tuple[str, str]] = []
    for meta in sorted(unpacked.glob("*.dist-info/METADATA")):
        msg = email.message_from_bytes(meta.read_bytes())
        installed[canonicalize_name(msg["Name"])] = msg["Version"]
        requires += [(msg["Name"], r) for r in msg.get_all("Requires-Dist") or []]
    for owner, line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(LAMBDA_MARKERS):
            continue
        name = canonicalize_name(req.name)
        if name in EXCLUDED_DEPENDENCIES:
            continue
        assert name in installed, f"{owner} needs {line}, which the bundle lacks"
        assert req.specifier.contains(installed[name], prereleases=True), (owner, line)
    # And nothing reviewed in is left over once nothing needs it any more.
    needed = {canonicalize_name(Requirement(r).name) for _, r in requires}
    for pin in RUNTIME_DEPENDENCIES:
        assert canonicalize_name(Requirement(pin).name) in needed, f"{pin} is needed by nothing"


def test_requirements_must_be_exact_pins(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("# the forwarder\nopensearch-py==3.2.0  # client\n\nrequests-aws4auth==1.4.0\n")
    assert read_pins(req) == ["opensearch-py==3.2.0", "requests-aws4auth==1.4.0"]
    for bad in ("opensearch-py>=3", "opensearch-py", "opensearch-py==3.2.0; python_version>'3'"):
        req.write_text(bad + "\n")
        with pytest.raises(ValueError, match="exact pin"):
            read_pins(req)


def test_the_cache_key_follows_every_input(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "forwarder").mkdir(parents=True)
    (src / "forwarder" / "handler.py").write_text("x = 1\n")
    pins = ["opensearch-py==3.2.0"]
    base = input_key(src, pins, "3.14", "manylinux2014_aarch64")
    assert input_key(src, pins, "3.14", "manylinux2014_aarch64") == base
    assert input_key(src, pins, "3.13", "manylinux2014_aarch64") != base
    # Another patch release of the compiler writes other .pyc bytes: another bundle.
    assert input_key(src, pins, "3.13.5", "manylinux2014_aarch64") != input_key(
        src, pins, "3.13.0", "manylinux2014_aarch64"
    )
    assert input_key(src, pins, "3.14", "manylinux2014_x86_64") != base
    assert input_key(src, ["opensearch-py==3.1.0"], "3.14", "manylinux2014_aarch64") != base
    (src / "forwarder" / "__pycache__").mkdir()
    (src / "forwarder" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    assert input_key(src, pins, "3.14", "manylinux2014_aarch64") == base
    (src / "forwarder" / "handler.py").write_text("x = 2\n")
    assert input_key(src, pins, "3.14", "manylinux2014_aarch64") != base


def test_the_cache_keeps_only_the_newest_bundles(tmp_path: Path) -> None:
    old = []
    for n in range(8):
        path = tmp_path / f"bundle-{n:024d}.zip"
        path.write_bytes(b"zip")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
        old.append(path)
    current = old[0]  # the oldest on disk, but the one this run uses
    removed = bundle_cache.prune(tmp_path, keep=current, limit=5)
    left = sorted(tmp_path.glob("bundle-*.zip"))
    assert current in left and len(left) == 5
    assert set(left) == {current, *old[4:]}
    assert set(removed) == set(old[1:4])


def test_zip_bytes_ignore_file_times_and_modes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("A\n")
    b.write_text("B\n")
    write_zip({"pkg/b.py": b, "pkg/a.py": a}, tmp_path / "one.zip")
    os.utime(a, (1_000_000_000, 1_000_000_000))
    a.chmod(0o755)
    write_zip({"pkg/a.py": a, "pkg/b.py": b}, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


def test_the_compiler_release_is_of_the_runtime_version() -> None:
    assert bundle_python.minor_version(bundle_mod.COMPILER_VERSION) == PYTHON_VERSION
