"""The zip: its bytes depend only on the entries' names and contents.

Entries sorted by name, every timestamp the earliest a zip can hold, every entry a unix
rw-r--r-- file, deflate at level 9. Deflate's output is fixed by the zlib library CPython
links; stock zlib (1.2.x, 1.3.x) writes the same bytes for the same input and level, while a
zlib-ng build may choose other matches (same files, other sha256).
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, rw-r--r--


def write_zip(entries: Mapping[str, Path], dest: Path) -> None:
    """Writes `entries` (archive name -> file) to `dest`."""
    with zipfile.ZipFile(dest, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3  # unix, so external_attr is read as a mode everywhere
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name].read_bytes(), compresslevel=9)


def unpack(zip_path: Path, dest: Path) -> Path:
    """Extracts the archive into `dest` (emptied first), as Lambda does into /var/task."""
    if dest.exists():
        shutil.rmtree(dest)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest
