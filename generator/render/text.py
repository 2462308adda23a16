"""Jinja filters that turn platform data into Markdown that renders as exactly that text.

Data from a platform (a workflow called `<script>`, `{{ 7*7 }}` or `| [x](javascript:…)`) must show as
typed, in the site, the search index and the PDF. HTML specials become entities and every character
Markdown could read as syntax is backslash-escaped, so no data ever becomes markup.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from generator import formats

# Characters Python-Markdown (with the tables extension) accepts a backslash before.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#|!])")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def md(value) -> str:
    """Inline text: one line, every special character neutralised (safe inside table cells too)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _html(text)


def md_block(value) -> str:
    """Multi-line text from data: each line escaped, blank lines kept as paragraph breaks."""
    if value is None:
        return ""
    paragraphs = re.split(r"\n\s*\n", str(value).strip())
    return "\n\n".join("  \n".join(_line(line) for line in p.splitlines() if line.strip()) for p in paragraphs)


def _line(text: str) -> str:
    """A line that cannot start a list, a quote or a heading underline."""
    line = md(text)
    line = re.sub(r"^(\d+)\.", r"\1&#46;", line)
    return _LEADING.get(line[:1], line[:1]) + line[1:]


_LEADING = {"-": "&#45;", "+": "&#43;", "=": "&#61;"}


def code(value) -> str:
    """Inline code span for identifiers; HTML, so no backtick in the data can end it early."""
    if value is None:
        return ""
    return f"<code>{_html(str(value))}</code>"


def ext_link(url, text: str | None = None) -> str:
    """A link to the platform (editor, docs); only http(s) addresses become links."""
    if not url:
        return "—"
    if not re.match(r"^https?://[^\s<>\"]+$", str(url)):
        return md(url)
    return f'<a href="{_html(str(url))}">{md(text or url)}</a>'


def when(value, tz: str | None = None) -> str:
    """A time in the client's zone with the zone named; a date as it is."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return formats.local_time(value, tz)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z", value):  # ISO time, e.g. the audit log's
        return formats.local_time(datetime.fromisoformat(value.replace("Z", "+00:00")), tz)
    return md(value)


def day(value, tz: str | None = None) -> str:
    return formats.local_date(value, tz) if isinstance(value, date) else when(value, tz)


def anchor(value: str) -> str:
    """A stable, safe HTML id fragment from any text."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")
    return slug or "item"


def filters(tz: str | None = None) -> dict:
    """The filters every template has; times and days in the client's zone `tz`."""
    return {
        "ext_link": ext_link, "md": md, "md_block": md_block, "code": code, "anchor": anchor,
        "when": lambda value: when(value, tz), "day": lambda value: day(value, tz),
        "number": formats.number, "counted": formats.count, "plural": formats.plural,
        "duration": formats.format_duration, "span": formats.format_span, "days": formats.days,
        "bytes": formats.format_bytes, "rate": formats.format_rate,
    }


FILTERS = filters()
