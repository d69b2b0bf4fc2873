"""ops.times: the one time syntax of search, backfill and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops import backfill, search, times
from ops.cli import CommandError

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
    seen_by_search = search.parse_time(text, NOW, "--since")
    seen_by_backfill = backfill.parse_time(text, NOW_MS)
    assert times.epoch_ms(seen_by_search) == seen_by_backfill


def test_search_names_the_option_it_could_not_read() -> None:
    with pytest.raises(CommandError) as err:
        search.parse_time("yesterday", NOW, "--until")
    assert str(err.value) == f"--until 'yesterday' is not a time: {times.FORMS}"
