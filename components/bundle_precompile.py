"""Compiles the bundle's cold-start modules; run by components/bundle.py as a file, not imported.

    python3.13 -I -S -B bundle_precompile.py STAGE MODULES_JSON

Runs in a CPython of the Lambda runtime's version, isolated (-I -S -B: nothing of this machine's
site-packages, environment or bytecode caches), with only the staged bundle on the path. Imports
forwarder.handler and MODULES_JSON (a JSON list of module names), compiles every module that was
loaded from STAGE, and prints the compiled files (relative to STAGE, sorted) as a JSON list.
"""

import importlib
import importlib.util
import json
import py_compile
import sys


def main(root: str, also: list[str]) -> list[str]:
    sys.path.insert(0, root)
    for name in ["forwarder.handler", *also]:
        importlib.import_module(name)
    done = []
    for module in list(sys.modules.values()):
        src = getattr(module, "__file__", None) or ""
        if src.startswith(root + "/") and src.endswith(".py"):
            rel = src[len(root) + 1 :]
            py_compile.compile(
                src,
                cfile=importlib.util.cache_from_source(src),
                # Tracebacks name the file where Lambda unpacks it.
                dfile="/var/task/" + rel,
                doraise=True,
                # No timestamp (reproducible) and never checked against the source (Lambda's
                # /var/task is read-only, so there is nothing to re-validate).
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
            done.append(rel)
    return sorted(done)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))))
