"""The operator commands behind `edgelogs` (ops.cli.main)."""

import sys

# Every command comes through this package: an older Python gets one line, not a traceback
# from 3.11-only syntax or imports (datetime.UTC, ...) further in.
if sys.version_info < (3, 11):  # noqa: UP036  (the point: this runs on older ones)
    # %-formatting, not an f-string: this line must itself run on old interpreters.
    sys.stderr.write("edgelogs needs Python 3.11 or newer; this is Python %s (%s)\n"  # noqa: UP031
                     % (sys.version.split()[0], sys.executable))
    raise SystemExit(2)
