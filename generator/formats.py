"""Numbers, plurals, durations, sizes and times in words, one way everywhere: the pages, the checks'
evidence, the terminal. Times are stored in UTC and shown in the client's zone (client.timezone)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = "%Y-%m-%d"  # a calendar day, everywhere (the pages' `day` filter too)


def format_day(value: date) -> str:
    return value.strftime(DAY)


def number(value: int | float) -> str:
    """A count with thousands separators: 11,533."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


_IRREGULAR = {"person": "people", "is": "are", "was": "were", "has": "have", "does": "do"}


def natural(text: str) -> tuple:
    """A sort key that reads numbers as numbers, ignoring case: "Report #2" before "Report #10". A run
    of digits is compared by its length without leading zeros, then as text: no conversion to an int,
    which Python refuses past 4,300 digits (a name is the platform's data, of any length)."""
    return tuple((len(part.lstrip("0")), part.lstrip("0"), part) if i % 2 else part
                 for i, part in enumerate(_DIGITS.split(text.casefold())))


_DIGITS = re.compile(r"(\d+)")


def plural_of(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def plural(count: int, word: str, many: str | None = None) -> str:
    """The word as it goes with `count`: step / steps (`many` for irregular plurals)."""
    return word if count == 1 else (many or plural_of(word))


def count(n: int, word: str, many: str | None = None) -> str:
    """'1 step', '2 steps', '11,533 runs': never 'step(s)'."""
    return f"{number(n)} {plural(n, word, many)}"


def duration(delta: timedelta | None) -> str:
    """Every duration in one format, two units at most: '813 ms', '1.3 s', '4 min 9 s', '2 h 35 min',
    '2 days 4 h', and whole calendar periods as '14 days', '6 months', '5 years'."""
    if delta is None:
        return "—"
    ms = round(delta.total_seconds() * 1000)
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    seconds = round(ms / 1000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        if hours or minutes or secs:
            return count(days, "day") + (f" {hours} h" if hours else f" {minutes} min" if minutes else "")
        if days >= 365 and days % 365 == 0:
            return count(days // 365, "year")
        if days >= 60 and days % 30 == 0:
            return count(days // 30, "month")
        return count(days, "day")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" + (f" {secs} s" if secs else "")


def format_duration(ms: int | None) -> str:
    """A run's duration, from milliseconds."""
    return "—" if ms is None else duration(timedelta(milliseconds=ms))


def format_span(delta: timedelta | None) -> str:
    """An incident-scale duration (time to respond, to restore), to the minute."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    return duration(timedelta(minutes=minutes)) if minutes > 0 else "under 1 min"


def days(n: int | None) -> str:
    """A period given in days (retention, rotation): '14 days', '6 months', '5 years'."""
    return "—" if n is None else duration(timedelta(days=n))


def format_bytes(size: int | None) -> str:
    """A size in decimal units, as file managers show it: '812 bytes', '4.2 kB', '1.3 MB'."""
    if size is None:
        return "—"
    if size < 1000:
        return count(size, "byte")
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            return f"{size:,.1f} {unit}"
    raise AssertionError("unreachable")


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or "UTC")


def zone_label(moment: datetime) -> str:
    """The zone of an aware time as a reader knows it: 'UTC', 'CET', or 'UTC+8' where the zone has no
    common abbreviation (tzdata writes Singapore's as '+08')."""
    name = moment.tzname() or "UTC"
    if name[:1] not in "+-":
        return name
    offset = moment.utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def local_time(moment: datetime | None, tz: str | None = None, with_date: bool = True) -> str:
    """A stored (UTC) time in the client's zone, the zone named: '2026-11-25 03:05 (UTC+8)'."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    here = moment.astimezone(zone(tz))
    label = zone_label(here)
    shown = here.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"{shown} {label}" if label.isalpha() else f"{shown} ({label})"


def local_date(moment: datetime | date | None, tz: str | None = None) -> str:
    """The calendar day of a time in the client's zone (a date stays as it is)."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone(tz)).date()
    return format_day(moment)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def csv_cell(value):
    """A value for a CSV cell that a spreadsheet shows as text: a leading =, +, -, @ (a formula) is
    quoted with an apostrophe, and control characters (escape sequences) are shown escaped."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], value.replace("\r\n", "\n").replace("\r", "\n"))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text
