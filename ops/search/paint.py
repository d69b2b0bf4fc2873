"""One terminal-safe line per document, coloured on a terminal (pure functions)."""

from __future__ import annotations

import json
import os
import re
from typing import Any, TextIO

# What a line shows; the rest of the document stays on the node unless --json.
SHOWN = ["@timestamp", "event.ingested", "cloud.region", "faas.name", "faas.version",
         "log.level", "aws.lambda.request_id", "aws.cloudfront.distribution_id", "message",
         "log.group", "log.stream"]

# The prefix of Lambda's text format repeats what the columns show.
_NODE_PREFIX = re.compile(r"\d{4}-\d\d-\d\dT[^\t]*\t[^\t]*\t[A-Z]+\t")
_PYTHON_PREFIX = re.compile(r"\[[A-Z]+\]\t[^\t]*\t[^\t]*\t")
# Log lines are written by code that handles requests: a header or URL can put terminal
# escape sequences in them. Control characters (C0, DEL, C1) and the bidirectional
# overrides are shown escaped, never sent to the terminal.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_COLORS = {"time": "2", "region": "36", "function": "35", "rid": "2", "ERROR": "31;1",
           "FATAL": "31;1", "CRITICAL": "31;1", "WARN": "33", "WARNING": "33",
           "INFO": "32", "DEBUG": "2", "TRACE": "2"}


def safe(text: str) -> str:
    """One terminal-safe line: newlines shown as \\n, tabs as spaces, controls escaped."""
    text = text.replace("\r\n", "\n").replace("\n", "\\n").replace("\t", " ")
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                       else f"\\u{ord(m[0]):04x}", text)


def message_text(message: Any) -> str:
    text = message if isinstance(message, str) else json.dumps(message)
    text = text.rstrip()
    m = _NODE_PREFIX.match(text) or _PYTHON_PREFIX.match(text)
    return safe(text[m.end():] if m else text)


def function_label(src: dict[str, Any]) -> str:
    name = src.get("faas.name")
    if name:
        version = src.get("faas.version")
        return f"{name}:{version}" if version else str(name)
    if src.get("aws.cloudfront.distribution_id"):
        return f"cloudfront/{src['aws.cloudfront.distribution_id']}"
    return str(src.get("log.group") or "-")


def _paint(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def format_line(src: dict[str, Any], color: bool = False) -> str:
    """time region function:version level request-id message, one line."""
    level = safe(str(src.get("log.level") or "-"))
    fields = [
        _paint(safe(str(src.get("@timestamp") or "-")), _COLORS["time"], color),
        _paint(safe(str(src.get("cloud.region") or "-")).ljust(14), _COLORS["region"], color),
        _paint(safe(function_label(src)).ljust(22), _COLORS["function"], color),
        _paint(level.ljust(5), _COLORS.get(level), color),
        _paint(safe(str(src.get("aws.lambda.request_id") or "-")).ljust(36), _COLORS["rid"],
               color),
        message_text(src.get("message", "")),
    ]
    return " ".join(fields)


def format_json(src: dict[str, Any]) -> str:
    # ensure_ascii: every control character and non-ASCII character arrives escaped.
    return json.dumps(src, separators=(",", ":"))


def use_color(out: TextIO, env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Colour on a terminal only; never when piped, with NO_COLOR (no-color.org) or
    TERM=dumb."""
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())
