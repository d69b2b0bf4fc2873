"""ops.times: the one time syntax of search, backfill and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ops import backfill, times
from ops.cli import UsageError
from ops.search import query

NOW = datetime(2026, 11, 28, 12, 0, 0, 250_000, tzinfo=UTC)
NOW_MS = 1_795_867_200_250  # NOW


@pytest.mark.parametrize("text, expected", [
    ("30s", NOW - timedelta(seconds=30)),
    ("90m", NOW - timedelta(minutes=90)),
    ("12 h", NOW - timedelta(hours=12)),
    ("7d", NOW - timedelta(days=7)),
    ("2w", NOW - timedelta(weeks=2)),
    (" now ", NOW),
    ("2025-11-24", datetime(2025, 11, 24, tzinfo=UTC)),
    ("2025-11-24T16:00:00", datetime(2025, 11, 24, 16, tzinfo=UTC)),  # UTC unless it says
    ("2025-11-24T18:00:00+02:00", datetime(2025, 11, 24, 16, tzinfo=UTC)),
    ("1763999999999", datetime(2025, 11, 24, 15, 59, 59, 999_000, tzinfo=UTC)),
])
def test_every_form(text: str, expected: datetime) -> None:
    got = times.parse_time(text, NOW)
    assert got == expected and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["yesterday", "15", "176399999999", "7 days", "m15", "-3d",
                                  "2025-13-01", ""])
def test_anything_else_says_every_accepted_form(text: str) -> None:
    with pytest.raises(ValueError) as err:
        times.parse_time(text, NOW)
    assert str(err.value) == f"{text!r} is not a time: {times.FORMS}"


@pytest.mark.parametrize("ms", [0, 1, 999, NOW_MS, 1_763_999_999_999, 4_102_444_799_999])
def test_epoch_milliseconds_round_trip_exactly(ms: int) -> None:
    assert times.epoch_ms(NOW) == NOW_MS
    assert times.epoch_ms(times.from_epoch_ms(ms)) == ms
    assert times.epoch_ms(times.parse_time(str(ms).zfill(13), NOW)) == ms


@pytest.mark.parametrize("text", ["2h", "now", "2025-11-24T18:00:00+02:00", "1763999999999"])
def test_search_and_backfill_read_a_time_alike(text: str) -> None:
    seen_by_search = query.parse_time(text, NOW, "--since")
    seen_by_backfill = backfill.parse_time(text, NOW_MS)
    assert times.epoch_ms(seen_by_search) == seen_by_backfill


def test_search_names_the_option_it_could_not_read() -> None:
    with pytest.raises(UsageError) as err:
        query.parse_time("yesterday", NOW, "--until")
    assert str(err.value) == f"--until 'yesterday' is not a time: {times.FORMS}"


@pytest.mark.parametrize("when, text", [
    (datetime(2025, 11, 24, 16, 0, tzinfo=UTC), "2025-11-24T16:00:00.000Z"),
    (datetime(2025, 11, 24, 18, 0, 0, 123_999, tzinfo=timezone(timedelta(hours=2))),
     "2025-11-24T16:00:00.123Z"),  # UTC, milliseconds cut (not rounded) like epoch_ms
    (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00.000Z"),
])
def test_one_formatter_writes_every_time_in_utc_with_milliseconds(when: datetime,
                                                                  text: str) -> None:
    assert times.iso(when) == text
    assert times.parse_time(text, NOW) == when.replace(microsecond=when.microsecond // 1000
                                                       * 1000)


def test_epoch_milliseconds_are_written_exactly() -> None:
    assert times.iso_ms(1_763_999_999_999) == "2025-11-24T15:59:59.999Z"
    assert times.iso_ms(NOW_MS) == "2026-11-28T12:00:00.250Z"


def test_no_command_keeps_a_time_formatter_of_its_own() -> None:
    # Every time the commands print comes from ops.times: no strftime of a full time elsewhere.
    from pathlib import Path

    ops_dir = Path(times.__file__).parent
    own = [str(p.relative_to(ops_dir)) for p in ops_dir.rglob("*.py")
           if p.name != "times.py" and "%H:%M:%S" in p.read_text()]
    assert own == []


def test_a_log_streams_day_is_the_utc_day_of_its_first_event() -> None:
    assert times.stream_day(NOW_MS) == "2026/11/28"
    # one millisecond before midnight UTC is still the day before, wherever the host is
    assert times.stream_day(1_764_028_799_999) == "2025/11/24"
    assert times.stream_day(1_764_028_800_000) == "2025/11/25"


def test_report_headers_are_to_the_minute_in_utc() -> None:
    assert times.minutes(NOW) == "2026-11-28 12:00 UTC"
    later = datetime(2026, 11, 28, 23, 59, 59, tzinfo=timezone(timedelta(hours=2)))
    assert times.minutes(later) == "2026-11-28 21:59 UTC"
