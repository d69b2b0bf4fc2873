"""Which of the bundle's files a cold start imports, read from the files alone, never run.

The bundle gets bytecode only for what the handler imports when Lambda loads it (see
components/bundle.py). Deciding that by importing the handler on the build machine made the
archive depend on that machine: on x86_64 the arm64 extension modules do not load, so their
pure-Python fallbacks were imported (and compiled), and an arm64 or Windows host would compile
another set. Here the set is a walk of the `import` statements in the bundle's own sources with
`ast`, so it depends only on those files: the same tree gives the same list on any host.

The rules, chosen to follow what runs at import time and nothing of the host:
- Statements that run when a module is imported: the module body, including `if`, `try`,
  `with` and loop bodies and class bodies, but not function bodies (they run later, if ever).
- An `if` that tests only the platform or the version (`sys.platform`, `os.name`,
  `sys.version_info`, `TYPE_CHECKING`) is decided for the Lambda runtime (`Target`, the same
  on every host); both branches of any other `if`, since the tree cannot say which runs.
- Modules whose import is attempted and fails (`try: import x except ImportError`) are
  followed and compiled too: Lambda loads them up to the failure on every cold start. Their
  later imports are walked as if it had not failed, and an unknown `if` takes both branches,
  so the list errs towards a few files Lambda never loads (a few KB). What no walk can see
  (`__import__(name)`, imports inside functions) is listed in bundle.PRECOMPILE_ALSO, and a
  test checks that every bundle module the runtime's CPython loads has its .pyc.
- `import a.b.c` imports a, a.b and a.b.c; `from p import x` imports p, and p.x when x is a
  submodule of p; relative imports resolve against the importing module's package.
- A module is compiled when its `.py` file is in the tree, even if an extension module of the
  same name sits beside it: which of the two loads depends on the CPU, which the tree does not
  say. Names that are not in the tree (stdlib, the runtime's boto3, pruned optional modules)
  are not followed.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """What an `if` may test about the interpreter that runs the bundle (not the host)."""

    version: tuple[int, int]  # sys.version_info[:2]; patch releases are not compared
    sys_platform: str = "linux"
    os_name: str = "posix"


_COMPARE: dict[type[ast.cmpop], Callable[[object, object], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,  # type: ignore[operator]
}  # fmt: skip


def module_file(root: Path, name: str) -> Path | None:
    """The .py file that defines module `name` in the tree at `root`, or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_name(base.name + ".py")):
        if candidate.is_file():
            return candidate
    return None


_UNKNOWN = object()


def _value(node: ast.expr, target: Target) -> object:
    """The value of `node` on the target when it depends only on the target, else _UNKNOWN."""
    source = ast.unparse(node)
    if source in ("sys.platform", "os.name", "sys.version_info", "TYPE_CHECKING",
                  "typing.TYPE_CHECKING"):  # fmt: skip
        return {
            "sys.platform": target.sys_platform,
            "os.name": target.os_name,
            # Compared as a tuple; a patch-level comparison is decided as for patch 0.
            "sys.version_info": (*target.version, 0),
        }.get(source, False)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        items = [_value(e, target) for e in node.elts]
        return _UNKNOWN if _UNKNOWN in items else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        operand = _value(node.operand, target)
        return _UNKNOWN if operand is _UNKNOWN else not operand
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice | ast.Constant):
        base = _value(node.value, target)
        if isinstance(base, tuple):
            index = node.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                return base[index.value]
            if isinstance(index, ast.Slice) and index.lower is None and index.step is None:
                upper = _value(index.upper, target) if index.upper else None
                return base[:upper] if upper is None or isinstance(upper, int) else _UNKNOWN
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.keywords:
        base = _value(node.func.value, target)
        args = [_value(a, target) for a in node.args]
        if node.func.attr == "startswith" and isinstance(base, str) and _UNKNOWN not in args:
            return base.startswith(*args)  # type: ignore[arg-type]
    if isinstance(node, ast.Compare):
        left = _value(node.left, target)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value(right_node, target)
            if left is _UNKNOWN or right is _UNKNOWN or type(op) not in _COMPARE:
                return _UNKNOWN
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_value(v, target) for v in node.values]
        stop = isinstance(node.op, ast.Or)  # the value that decides the whole expression
        if any(v is not _UNKNOWN and bool(v) is stop for v in values):
            return stop
        return _UNKNOWN if _UNKNOWN in values else not stop
    return _UNKNOWN


def _import_time_statements(body: Iterable[ast.stmt], target: Target) -> Iterator[ast.stmt]:
    """Every statement that runs when the module is imported (see the module docstring)."""
    for node in body:
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If):
            taken = _value(node.test, target)
            if taken is _UNKNOWN or taken:
                yield from _import_time_statements(node.body, target)
            if taken is _UNKNOWN or not taken:
                yield from _import_time_statements(node.orelse, target)
            continue
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                yield from _import_time_statements(handler.body, target)
        if isinstance(node, ast.Match):
            for case in node.cases:
                yield from _import_time_statements(case.body, target)
        for field in ("body", "orelse", "finalbody"):
            yield from _import_time_statements(getattr(node, field, []), target)


def _package_of(name: str, path: Path) -> str:
    """The package a module's relative imports resolve against."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imported_names(name: str, path: Path, target: Target) -> Iterator[str]:
    """Absolute names of the modules that importing module `name` (from `path`) may import."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    for node in _import_time_statements(tree.body, target):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(name, path).split(".")
                if node.level > len(package):
                    continue  # beyond the top-level package: fails at run time too
                base = ".".join(package[: len(package) - node.level + 1])
                parent = f"{base}.{node.module}" if node.module else base
            else:
                parent = node.module or ""
            yield parent
            # `from p import x` imports the submodule p.x when there is one.
            yield from (f"{parent}.{alias.name}" for alias in node.names if alias.name != "*")


def _with_parents(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def cold_start_modules(root: Path, entry_points: Iterable[str], target: Target) -> list[str]:
    """The .py files (relative to `root`, posix, sorted) that importing `entry_points` reaches.

    Reads the files under `root` and nothing else: no import, no interpreter, no host facts;
    `target` answers the platform and version tests.
    """
    found: dict[str, Path] = {}
    pending = [parent for entry in entry_points for parent in _with_parents(entry)]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = module_file(root, name)
        if path is None:
            continue
        found[name] = path
        for imported in _imported_names(name, path, target):
            pending.extend(n for n in _with_parents(imported) if n not in found)
    return sorted(path.relative_to(root).as_posix() for path in found.values())
