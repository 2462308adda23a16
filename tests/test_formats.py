"""Plain wording: plurals, counts, durations, sizes and local times, one format each (generator.formats)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import formats
from generator.render.text import day, when


@pytest.mark.parametrize("n,word,expected", [
    (1, "step", "1 step"), (2, "step", "2 steps"), (0, "version", "0 versions"), (11533, "run", "11,533 runs"),
    (2, "entry", "2 entries"), (3, "day", "3 days"), (2, "match", "2 matches"), (2, "person", "2 people"),
    (1, "person", "1 person"), (4, "error route", "4 error routes"),
])
def test_count(n, word, expected):
    assert formats.count(n, word) == expected


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["step", "entry", "match", "version", "time"]))
def test_count_is_never_mechanical(n, word):
    text = formats.count(n, word)
    assert "(s)" not in text
    assert text.split(" ", 1)[0].replace(",", "") == str(n)
    assert text.endswith(word) == (n == 1)


@pytest.mark.parametrize("delta,expected", [
    (timedelta(milliseconds=813), "813 ms"), (timedelta(milliseconds=1340), "1.3 s"),
    (timedelta(seconds=249), "4 min 9 s"), (timedelta(minutes=8), "8 min"), (timedelta(hours=2, minutes=35), "2 h 35 min"),
    (timedelta(days=2, hours=4), "2 days 4 h"), (timedelta(days=1), "1 day"), (timedelta(days=14), "14 days"),
    (timedelta(days=30), "30 days"), (timedelta(days=180), "6 months"), (timedelta(days=365), "1 year"),
    (timedelta(days=1825), "5 years"), (timedelta(days=1095), "3 years"), (None, "—"),
])
def test_duration(delta, expected):
    assert formats.duration(delta) == expected


def test_the_other_duration_helpers_share_the_format():
    assert formats.format_duration(249_000) == formats.duration(timedelta(seconds=249)) == "4 min 9 s"
    assert formats.format_span(timedelta(hours=2, minutes=35, seconds=40)) == "2 h 35 min"  # to the minute
    assert formats.format_span(timedelta(seconds=20)) == "under 1 min"
    assert formats.days(1825) == "5 years" and formats.days(730) == "2 years" and formats.days(14) == "14 days"


@given(st.integers(min_value=0, max_value=10**12))
def test_duration_has_two_units_at_most(ms):
    text = formats.format_duration(ms)
    numbers = [w for w in text.split() if w[0].isdigit()]
    assert 1 <= len(numbers) <= 2 and "(s)" not in text


@pytest.mark.parametrize("size,expected", [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (4200, "4.2 kB"),
                                           (1_300_000, "1.3 MB"), (12_345_678_901, "12.3 GB")])
def test_bytes(size, expected):
    assert formats.format_bytes(size) == expected


MOMENT = datetime(2026, 11, 24, 19, 5, tzinfo=UTC)


@pytest.mark.parametrize("tz,expected", [
    ("Asia/Singapore", "2026-11-25 03:05 (UTC+8)"), ("UTC", "2026-11-24 19:05 UTC"), (None, "2026-11-24 19:05 UTC"),
    ("Europe/Berlin", "2026-11-24 20:05 CET"), ("America/St_Johns", "2026-11-24 15:35 NST"),
    ("Asia/Kathmandu", "2026-11-25 00:50 (UTC+5:45)"),
])
def test_local_time_names_the_zone(tz, expected):
    assert formats.local_time(MOMENT, tz) == expected


def test_page_filters_show_the_clients_zone():
    assert when(MOMENT, "Asia/Singapore") == "2026-11-25 03:05 (UTC+8)"
    assert when("2026-11-24T19:05:00Z", "Asia/Singapore") == "2026-11-25 03:05 (UTC+8)"  # audit-log times
    assert day(MOMENT, "Asia/Singapore") == "2026-11-25"  # the client's calendar day, not UTC's
    assert day(date(2026, 11, 24), "Asia/Singapore") == "2026-11-24"


def test_names_sort_with_their_numbers_read_as_numbers():
    from generator.formats import natural

    names = ["Report #10", "report #2", "Report #1", "Backup", "Report #2b", "Report", "Report #007"]
    assert sorted(names, key=natural) == ["Backup", "Report", "Report #1", "report #2", "Report #2b", "Report #007",
                                          "Report #10"]
    huge = "Report #" + "9" * 5000  # more digits than Python turns into an int
    assert sorted([huge, "Report #" + "1" + "0" * 5000, "Report #3"], key=natural)[0] == "Report #3"
