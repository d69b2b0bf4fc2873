"""Times one import in a clean interpreter; run by bundler/probe.py as a file, not imported.

    python -I -S -B import_timer.py PATHS_JSON MODULE

Puts PATHS_JSON (a JSON list of folders: the unpacked bundle, the runtime's packages) first on
sys.path, imports MODULE, and prints as JSON {"ms": import time, "origins": {top-level module:
file}, "files": [the file of every module loaded]}, so the caller can prove the bundle served
every third-party module, and see which files the import loaded.
"""

import importlib
import json
import sys
import time


def main(paths: list[str], module: str) -> dict:
    sys.path[:0] = paths
    t0 = time.perf_counter()
    importlib.import_module(module)
    elapsed = (time.perf_counter() - t0) * 1000
    origins, files = {}, []
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if not path or name == "__main__":  # __main__ is this file
            continue
        files.append(path)
        if "." not in name:
            origins[name] = path
    return {"ms": elapsed, "origins": origins, "files": sorted(files)}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]), sys.argv[2])))
