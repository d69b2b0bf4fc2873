"""The forwarder bundle: sources only, reproducible, cached, small, complete, nothing unused."""

from __future__ import annotations

import email
import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import bundler
from bundler import builder as build_mod
from bundler import cache
from bundler.archive import write_zip
from bundler.builder import input_key
from bundler.install import excluded
from bundler.pins import EXCLUDED_DEPENDENCIES, RUNTIME_DEPENDENCIES, read_pins
from bundler.probe import import_in_clean_interpreter, run_in_clean_interpreter, runtime_shim

MAX_ZIP_BYTES = 2_000_000
REPO = Path(__file__).resolve().parents[2]

# The environment Lambda evaluates dependency markers in (python3.13 on arm64 Linux).
LAMBDA_MARKERS = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


def _names(b: bundler.Bundle) -> list[str]:
    with zipfile.ZipFile(b.path) as zf:
        return zf.namelist()


def _fail(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("something ran although the cache holds this bundle")


def test_two_builds_from_the_same_inputs_are_identical(
    bundle: bundler.Bundle, tmp_path: Path
) -> None:
    # A cache of its own, so pip really installs a second time.
    again = bundler.build("forwarder", cache_dir=tmp_path)
    assert again.path != bundle.path
    assert again.path.read_bytes() == bundle.path.read_bytes()
    assert hashlib.sha256(again.path.read_bytes()).hexdigest() == again.sha256 == bundle.sha256


def test_second_build_hits_the_disk_cache_and_installs_nothing(
    bundle: bundler.Bundle, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forget this process's memo: what is left is a new program run with the .build/ cache.
    monkeypatch.setattr(cache, "_built", {})
    monkeypatch.setattr(build_mod, "pip_install", _fail)
    monkeypatch.setattr(build_mod, "write_zip", _fail)
    again = bundler.build("forwarder", cache_dir=cache_dir)
    assert again == bundle


def test_one_program_run_builds_once(bundle: bundler.Bundle, cache_dir: Path) -> None:
    first = bundler.build("forwarder", cache_dir=cache_dir)
    assert bundler.build("forwarder", cache_dir=cache_dir) is first


def test_zip_is_at_most_2_mb(bundle: bundler.Bundle) -> None:
    assert bundle.zip_bytes == bundle.path.stat().st_size
    assert bundle.zip_bytes <= MAX_ZIP_BYTES, f"{bundle.zip_bytes} bytes"


def test_the_bundle_is_sources_only_and_holds_nothing_of_the_build_host(
    bundle: bundler.Bundle,
) -> None:
    names = _names(bundle)
    for name in names:
        parts = name.split("/")
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".pyo")), name
        assert parts[0] != "bin", name
        assert parts[0].split("-")[0] not in {"opensearch_protobufs", "grpc", "grpcio", "google",
                                              "protobuf", "boto3", "botocore"}, name  # fmt: skip
        if parts[0].endswith(".dist-info"):
            assert parts[-1] not in {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}, name
    # Nothing names this checkout or this venv (a shebang, a RECORD, a direct_url); a short
    # system prefix like /usr would match unrelated text, and test_two_hosts_... covers it.
    here = {str(REPO), *([sys.prefix] if sys.prefix != sys.base_prefix else [])}
    with zipfile.ZipFile(bundle.path) as zf:
        for name in names:
            data = zf.read(name)
            assert not [p for p in here if p.encode() in data], f"{name} names {here}"
    # The wheels' own metadata stays (licences, METADATA), so what ships is auditable.
    assert "opensearch_py-3.2.0.dist-info/METADATA" in names


def test_entries_are_sorted_with_fixed_times_and_modes(bundle: bundler.Bundle) -> None:
    with zipfile.ZipFile(bundle.path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.create_system for i in infos} == {3}


def test_forwarder_code_and_the_contract_are_at_the_archive_root(
    bundle: bundler.Bundle,
) -> None:
    names = set(_names(bundle))
    assert {"forwarder/__init__.py", "forwarder/handler.py", "forwarder/settings.py",
            "contract.py"} <= names  # fmt: skip
    assert not any(n.startswith(("lambda_src/", "components/", "tests/", "edge_coverage/"))
                   for n in names)  # fmt: skip
    root = Path(__file__).resolve().parents[2] / "lambda_src"
    with zipfile.ZipFile(bundle.path) as zf:
        assert zf.read("contract.py") == (root / "contract.py").read_bytes()
        assert zf.read("forwarder/settings.py") == (root / "forwarder/settings.py").read_bytes()


def test_handler_imports_from_the_unpacked_bundle_alone(unpacked: Path, tmp_path: Path) -> None:
    # -I -S: no site-packages; only the bundle, the stdlib and the runtime's boto3/botocore.
    shim = runtime_shim(tmp_path / "runtime")
    origins = import_in_clean_interpreter(unpacked, shim)["origins"]
    for module in ("forwarder", "contract", "opensearchpy", "requests", "urllib3"):
        assert origins[module].startswith(str(unpacked)), (module, origins[module])
    strays = {m: p for m, p in origins.items() if "site-packages" in p and not
              p.startswith((str(unpacked), str(shim)))}  # fmt: skip
    assert not strays
    # No bytecode was written beside the sources (Lambda's /var/task is read-only).
    assert not list(unpacked.rglob("__pycache__"))


_INVOKE = """
import base64, gzip, json, sys
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
print("LOADED " + json.dumps(sorted(n for n in sys.modules if n.startswith("requests_aws4auth"))))
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
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    assert result["outcome"] == "control_message"
    assert "requests_aws4auth" in json.loads(out.split("LOADED ", 1)[1])


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


def test_the_cache_key_follows_every_input_and_nothing_of_the_host(tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text("x = 1\n")
    sources = {"forwarder/handler.py": handler}
    pins = ["opensearch-py==3.2.0"]
    base = input_key(sources, pins, "3.13", "manylinux2014_aarch64")
    assert len(base) == 64 and int(base, 16) >= 0  # a sha256 hex digest
    assert input_key(sources, pins, "3.13", "manylinux2014_aarch64") == base
    assert input_key(sources, pins, "3.14", "manylinux2014_aarch64") != base
    assert input_key(sources, pins, "3.13", "manylinux2014_x86_64") != base
    assert input_key(sources, ["opensearch-py==3.1.0"], "3.13", "manylinux2014_aarch64") != base
    assert input_key({"forwarder/other.py": handler}, pins, "3.13",
                     "manylinux2014_aarch64") != base  # fmt: skip
    os.utime(handler, (1_000_000_000, 1_000_000_000))
    assert input_key(sources, pins, "3.13", "manylinux2014_aarch64") == base
    handler.write_text("x = 2\n")
    assert input_key(sources, pins, "3.13", "manylinux2014_aarch64") != base


def test_the_cache_keeps_only_the_newest_bundles(tmp_path: Path) -> None:
    old = []
    for n in range(8):
        path = tmp_path / f"forwarder-{n:024d}.zip"
        path.write_bytes(b"zip")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
        old.append(path)
    current = old[0]  # the oldest on disk, but the one this run uses
    removed = cache.prune(tmp_path, keep=current, limit=5)
    left = sorted(tmp_path.glob("*.zip"))
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


@pytest.mark.parametrize(
    ("name", "ships"),
    [
        ("requests/api.py", True),
        ("requests-2.34.2.dist-info/METADATA", True),
        ("requests-2.34.2.dist-info/licenses/LICENSE", True),
        ("requests-2.34.2.dist-info/RECORD", False),
        ("requests-2.34.2.dist-info/INSTALLER", False),
        ("requests-2.34.2.dist-info/REQUESTED", False),
        ("requests-2.34.2.dist-info/direct_url.json", False),
        ("bin/normalizer", False),
        ("requests/__pycache__/api.cpython-311.pyc", False),
        ("six.pyc", False),
        ("opensearchpy/_async/client/__init__.py", False),
        ("opensearchpy/_async/helpers/actions.py", True),
        ("dateutil/zoneinfo/dateutil-zoneinfo.tar.gz", False),
    ],
)
def test_what_an_install_writes_about_itself_never_ships(name: str, ships: bool) -> None:
    assert excluded(name) is not ships


def _installer(python: str, pip: str):  # type: ignore[no-untyped-def]
    """A stand-in for pip on one host: the wheel's files, plus what that pip writes itself."""

    def install(pins: object, target: Path, *_args: object) -> None:
        (target / "tinydep").mkdir()
        (target / "tinydep" / "__init__.py").write_text("VALUE = 1\n")
        (target / "tinydep" / "__pycache__").mkdir()
        pyc = target / "tinydep" / "__pycache__" / "__init__.cpython-311.pyc"
        pyc.write_bytes(b"\0" + pip.encode())
        info = target / "tinydep-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"tinydep/__init__.py,sha256=x,10\n# by {pip}\n")
        (info / "INSTALLER").write_text(pip)
        (info / "direct_url.json").write_text(json.dumps({"url": f"file://{python}"}))
        (target / "bin").mkdir()
        (target / "bin" / "tiny").write_text(f"#!{python}\nimport tinydep\n")

    return install


def test_two_hosts_with_other_pythons_and_pips_build_the_same_bytes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "forwarder").mkdir(parents=True)
    (src / "forwarder" / "__init__.py").write_text("")
    (src / "forwarder" / "handler.py").write_text("import tinydep\n")
    (src / "requirements.txt").write_text("opensearch-py==3.2.0\n")
    one = bundler.build("forwarder", src, tmp_path / "a",
                        installer=_installer("/usr/bin/python3.11", "pip 23.2.1"))
    two = bundler.build("forwarder", src, tmp_path / "b",
                        installer=_installer("/opt/py/bin/python3.13", "pip 25.1"))
    assert one.path.read_bytes() == two.path.read_bytes()
    assert _names(one) == [
        "forwarder/__init__.py", "forwarder/handler.py",
        "tinydep-1.0.dist-info/METADATA", "tinydep/__init__.py",
    ]  # fmt: skip


def test_a_dependency_may_not_overwrite_the_functions_own_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "forwarder").mkdir(parents=True)
    (src / "forwarder" / "__init__.py").write_text("")
    (src / "requirements.txt").write_text("opensearch-py==3.2.0\n")

    def shadowing(pins: object, target: Path, *_args: object) -> None:
        (target / "forwarder").mkdir()
        (target / "forwarder" / "__init__.py").write_text("EVIL = 1\n")

    with pytest.raises(bundler.BundleError, match=r"installs forwarder/__init__\.py"):
        bundler.build("forwarder", src, tmp_path / "cache", installer=shadowing)
