"""The operator commands behind `edgelogs` (ops.cli.main)."""

import sys

# Every command comes through this package: an older Python gets one line, not a traceback
# from 3.11-only syntax or imports (datetime.UTC, ...) further in.
if sys.version_info < (3, 11):  # noqa: UP036  (the point: this runs on older ones)
    sys.stderr.write(f"edgelogs needs Python 3.11 or newer; this is Python "
                     f"{sys.version.split()[0]} ({sys.executable})\n")
    raise SystemExit(2)
