"""Numbers and durations in words, one way everywhere: the pages, the checks' evidence, the terminal."""

from __future__ import annotations

import re
from datetime import date, timedelta

DAY = "%Y-%m-%d"  # a calendar day, everywhere (the pages' `day` filter too)


def format_day(value: date) -> str:
    return value.strftime(DAY)


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def format_span(delta: timedelta | None) -> str:
    """An incident-scale duration: '8 min', '1 h 52 min', '2 d 4 h'."""
    if delta is None:
        return "—"
    total = int(delta.total_seconds() // 60)
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def csv_cell(value):
    """A value for a CSV cell that a spreadsheet shows as text: a leading =, +, -, @ (a formula) is
    quoted with an apostrophe, and control characters (escape sequences) are shown escaped."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], value.replace("\r\n", "\n").replace("\r", "\n"))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text
