"""pyproject.toml: `pip install -e .` maps every package the commands import, and `edgelogs`."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages(folder: Path, root: Path) -> set[str]:
    """Dotted names, relative to `root`, of the packages in `folder` (its __init__.py files)."""
    return {".".join(p.parent.relative_to(root).parts) for p in folder.rglob("__init__.py")}


def test_every_package_of_ops_and_lambda_src_is_installed() -> None:
    # A new package (or lambda_src module) must be declared, or `edgelogs` cannot import it.
    setuptools = CONFIG["tool"]["setuptools"]
    declared = set(setuptools["packages"])
    assert declared == {"ops", "ops.search", "bundler", "components", "forwarder", "edge_coverage",
                        "domain_setup"}
    assert declared == (_packages(ROOT / "ops", ROOT) | _packages(ROOT / "bundler", ROOT)
                        | _packages(ROOT / "components", ROOT)
                        | _packages(ROOT / "lambda_src", ROOT / "lambda_src"))
    modules = {p.stem for p in (ROOT / "lambda_src").glob("*.py")}
    assert set(setuptools["py-modules"]) == modules == {"contract"}
    assert setuptools["package-dir"] == {"": "lambda_src", "ops": "ops", "bundler": "bundler",
                                         "components": "components"}


def test_the_console_script_is_the_dispatcher() -> None:
    assert CONFIG["project"]["scripts"] == {"edgelogs": "ops.cli:main"}
    files = CONFIG["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
    assert files == ["requirements.txt", "lambda_src/requirements.txt", "requirements-ops.txt"]
    assert all((ROOT / f).is_file() for f in files)
