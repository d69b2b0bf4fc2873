"""The one way the operator commands read and write a time: `--since`, `--until`, `--at`.

`15m`, `2h`, `3d`, `1w`, `30s` (that long ago), `now`, an ISO 8601 time (UTC unless it says
otherwise), or epoch milliseconds (13 digits, as CloudWatch and the documents' ids give them).
search, backfill and the demo share it, so a window copied from one command works in another.
Every time they print is `iso`'s `2025-11-24T16:00:00.000Z`, which `parse_time` reads back;
the demo's log stream names and the bench reports' headers take their own two forms from here
too (the forwarder formats its own: lambda_src may not import ops).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Epoch ms from 2001-09-09 to 2286: a short number ("15") is a mistake, not 1970.
_EPOCH_MS = re.compile(r"\d{13}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

FORMS = ("use 15m, 2h, 3d, 1w (that long ago), now, an ISO time such as "
         "2025-11-24T16:00:00Z, or epoch milliseconds")


def parse_time(text: str, now: datetime) -> datetime:
    """The time `text` names, in UTC; ValueError says what is accepted."""
    value = text.strip()
    m = _RELATIVE.fullmatch(value)
    if m:
        return now - timedelta(**{_UNITS[m[2]]: int(m[1])})
    if value == "now":
        return now
    if _EPOCH_MS.fullmatch(value):
        return from_epoch_ms(int(value))
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: {FORMS}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def from_epoch_ms(ms: int) -> datetime:
    """The UTC time of epoch milliseconds, in integer arithmetic."""
    return _EPOCH + timedelta(milliseconds=ms)


def epoch_ms(when: datetime) -> int:
    """Epoch milliseconds of an aware datetime (sub-millisecond parts dropped)."""
    return (when - _EPOCH) // timedelta(milliseconds=1)


def iso(when: datetime) -> str:
    """`2025-11-24T16:00:00.000Z`: UTC, milliseconds, as the documents' @timestamp."""
    utc = when.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def iso_ms(ms: int) -> str:
    """`iso` of epoch milliseconds."""
    return iso(from_epoch_ms(ms))


def stream_day(ms: int) -> str:
    """`2025/11/24`: the UTC day a Lambda log stream's name begins with."""
    return f"{from_epoch_ms(ms):%Y/%m/%d}"


def minutes(when: datetime) -> str:
    """`2025-11-24 16:00 UTC`: to the minute, for the headers of reports people read."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
