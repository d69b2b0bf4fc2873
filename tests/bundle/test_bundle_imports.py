"""What gets bytecode is read from the bundle's files: one tree gives one list, on any host."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

from components.bundle import cold_start_files
from components.bundle_imports import Target, cold_start_modules

LAMBDA = Target(version=(3, 13), sys_platform="linux", os_name="posix")

# A small tree with each kind of import the walk must read (or leave alone).
TREE = {
    "app/__init__.py": "",
    "app/handler.py": """
import sys
from typing import TYPE_CHECKING
from . import helpers
from .sub import leaf as _leaf
from .compat import *
import lib.deep.mod
try:
    import optional_missing
    from lib import fallback_tried
except ImportError:
    from lib import fallback
if sys.platform == "win32":
    import lib.windows_only
elif sys.platform.startswith("linux") and os.name == "posix":
    import lib.linux_only
if sys.version_info >= (3, 14):
    import lib.new_python
else:
    import lib.old_python
if TYPE_CHECKING:
    import lib.typing_only
if some_runtime_flag():
    import lib.maybe

class Thing:
    import lib.in_class_body

def later():
    import lib.in_function
""",
    "app/helpers.py": "from ..outside import nothing\n",
    "app/compat.py": "",
    "app/sub/__init__.py": "",
    "app/sub/leaf.py": "from .. import helpers\n",
    "lib/__init__.py": "",
    "lib/deep/__init__.py": "",
    "lib/deep/mod.py": "",
    "lib/fallback.py": "",
    "lib/fallback_tried.py": "import not_in_the_bundle\n",
    "lib/windows_only.py": "",
    "lib/linux_only.py": "",
    "lib/new_python.py": "",
    "lib/old_python.py": "",
    "lib/typing_only.py": "",
    "lib/maybe.py": "",
    "lib/in_class_body.py": "",
    "lib/in_function.py": "",
    "lib/never_imported.py": "",
    # An extension module beside its pure-Python fallback: which loads depends on the CPU.
    "lib/accel.py": "",
    "lib/accel.cpython-313-aarch64-linux-gnu.so": "",
}
TREE["lib/__init__.py"] = "from . import accel\n"

EXPECTED = [
    "app/__init__.py",
    "app/compat.py",
    "app/handler.py",
    "app/helpers.py",
    "app/sub/__init__.py",
    "app/sub/leaf.py",
    "lib/__init__.py",
    "lib/accel.py",
    "lib/deep/__init__.py",
    "lib/deep/mod.py",
    "lib/fallback.py",
    "lib/fallback_tried.py",
    "lib/in_class_body.py",
    "lib/linux_only.py",
    "lib/maybe.py",
    "lib/old_python.py",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, text in TREE.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_walk_follows_what_runs_at_import_on_the_target(tree: Path) -> None:
    assert cold_start_modules(tree, ["app.handler"], LAMBDA) == EXPECTED


@pytest.mark.parametrize(
    ("sys_platform", "os_name", "machine"),
    [("linux", "posix", "x86_64"), ("linux", "posix", "aarch64"), ("win32", "nt", "AMD64"),
     ("darwin", "posix", "arm64")],
)  # fmt: skip
def test_the_list_is_the_same_whatever_the_host(
    tree: Path, monkeypatch: pytest.MonkeyPatch, sys_platform: str, os_name: str, machine: str
) -> None:
    # The host's own facts are patched; only the target's may decide anything.
    monkeypatch.setattr(sys, "platform", sys_platform)
    monkeypatch.setattr(os, "name", os_name)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert cold_start_modules(tree, ["app.handler"], LAMBDA) == EXPECTED


def test_the_target_not_the_host_decides_platform_tests(tree: Path) -> None:
    windows = Target(version=(3, 13), sys_platform="win32", os_name="nt")
    chosen = cold_start_modules(tree, ["app.handler"], windows)
    assert "lib/windows_only.py" in chosen and "lib/linux_only.py" not in chosen
    newer = Target(version=(3, 14))
    chosen = cold_start_modules(tree, ["app.handler"], newer)
    assert "lib/new_python.py" in chosen and "lib/old_python.py" not in chosen


def test_the_bundle_list_is_what_its_files_say(
    unpacked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real bundle: the list is a function of its files alone, whatever the host says.
    listed = cold_start_files(unpacked, "3.13")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(platform, "machine", lambda: "AMD64")
    assert cold_start_files(unpacked, "3.13") == listed
    shipped = sorted(
        (Path(name).parent.parent / (Path(name).name.split(".")[0] + ".py")).as_posix()
        for name in _pycs(unpacked)
    )
    assert shipped == listed
    assert {"forwarder/handler.py", "idna/core.py"} <= set(listed)
    # The pure-Python fallbacks of charset-normalizer's aarch64 extensions are compiled on
    # every host (an x86_64 host used to compile them because it could not load the .so).
    assert "charset_normalizer/md.py" in listed
    # urllib3's emscripten support is behind `sys.platform == "emscripten"`: never on Lambda.
    assert not any(rel.startswith("urllib3/contrib/emscripten/") for rel in listed)


def _pycs(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("__pycache__/*.pyc")]
