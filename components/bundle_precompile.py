"""Compiles the bundle's cold-start modules; run by components/bundle.py as a file, not imported.

    python3.13 -I -S -B bundle_precompile.py STAGE FILES_JSON

Runs in the CPython release that components/bundle.py pins for compiling, isolated (-I -S -B:
nothing of this machine's site-packages, environment or bytecode caches). FILES_JSON is the
JSON list of .py files to compile, relative to STAGE (chosen from the files alone, see
components/bundle_imports.py); nothing of the bundle is imported here.
"""

import importlib.util
import json
import os
import py_compile
import sys


def main(root: str, files: list[str]) -> None:
    for rel in files:
        src = os.path.join(root, *rel.split("/"))
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


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
