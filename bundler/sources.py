"""A function's own files: its package, and the top-level lambda_src modules it imports.

A top-level module of lambda_src (`contract.py`: the values the deploy side and the functions
share) ships in every bundle whose code imports it, found by reading the `import` statements
(with `ast`, never by importing), so adding `import contract` to a function is all it takes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def _package_files(src_dir: Path, package: str) -> list[Path]:
    root = src_dir / package
    if not (root / "__init__.py").is_file():
        raise FileNotFoundError(f"{root}: no such function package (no __init__.py)")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    )


def imported_top_levels(path: Path) -> set[str]:
    """The top-level names `path` imports absolutely, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def shared_modules(src_dir: Path, files: Iterable[Path]) -> list[Path]:
    """The lambda_src/*.py modules that `files` import, and those they import in turn."""
    found: dict[str, Path] = {}
    pending = list(files)
    while pending:
        for name in sorted(imported_top_levels(pending.pop())):
            module = src_dir / f"{name}.py"
            if name not in found and module.is_file():
                found[name] = module
                pending.append(module)
    return [found[name] for name in sorted(found)]


def source_files(src_dir: Path, package: str) -> dict[str, Path]:
    """Archive name -> file for everything of the function's own code, sorted by name."""
    own = _package_files(src_dir, package)
    files = {p.relative_to(src_dir).as_posix(): p for p in own}
    files |= {p.name: p for p in shared_modules(src_dir, own)}
    return dict(sorted(files.items()))
