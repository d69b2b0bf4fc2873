"""Writes a bench's figures into docs/performance.md: the lines it printed, verbatim.

Each bench owns named blocks in that file, between `<!-- generated: NAME -->` and
`<!-- end generated: NAME -->`; `--write-docs` replaces what is between them (when, where, the
command, the printed lines) and leaves the prose around them alone.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ops import times

DOCS = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"


def machine() -> str:
    """What the figures were measured on, in a few words; the load average says how busy the
    machine was with other work (timings on a shared machine move with it)."""
    return (f"{len(os.sched_getaffinity(0))} CPU(s), {platform.machine()}, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


def replace_block(text: str, name: str, command: str, lines: list[str], when: datetime) -> str:
    """`text` with block `name` holding `lines`; ValueError when the block is not there once."""
    begin, end = _markers(name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"{DOCS.name} needs exactly one {begin} ... {end} block")
    body = "\n".join([
        begin,
        f"`{command}`, {times.minutes(when)}, {machine()}:",
        "",
        "```",
        *(line.rstrip() for line in lines),
        "```",
        end,
    ])
    return pattern.sub(lambda _: body, text)


def write(blocks: dict[str, list[str]], command: str, path: Path = DOCS) -> None:
    """Replaces every named block in `path` (all or none: the file is checked first)."""
    text = path.read_text()
    now = datetime.now(UTC)
    for name, lines in blocks.items():
        text = replace_block(text, name, command, lines, now)
    path.write_text(text)


def _forwarder_log(line: str) -> bool:
    """The forwarder's own log line (one JSON object per invocation, for CloudWatch): shown
    while the bench runs, but not a figure."""
    return line.startswith("{")


class _Tee(io.TextIOBase):
    def __init__(self, stream: io.TextIOBase | object, kept: list[str]) -> None:
        self.stream = stream
        self.kept = kept
        self.partial = ""

    def write(self, s: str) -> int:
        self.stream.write(s)  # type: ignore[attr-defined]
        *done, self.partial = (self.partial + s).split("\n")
        self.kept.extend(line for line in done if not _forwarder_log(line))
        return len(s)

    def flush(self) -> None:
        self.stream.flush()  # type: ignore[attr-defined]


@contextlib.contextmanager
def printed() -> Iterator[list[str]]:
    """The lines printed inside the block, still shown as they are printed."""
    kept: list[str] = []
    tee = _Tee(sys.stdout, kept)
    with contextlib.redirect_stdout(tee):  # type: ignore[type-var]
        yield kept
    if tee.partial and not _forwarder_log(tee.partial):
        kept.append(tee.partial)
