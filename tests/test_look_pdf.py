"""The demo PDF looked at as a reader would: every page rendered, its footer, fonts, outline and layout.

Each check fails the suite when the document would look wrong to a person: a page of one colour (a
background painted over the text), a footer that lies about the page count, a bookmark that opens the
wrong page, a heading stranded at a page's foot, pages left mostly empty, text outside the margins.
"""

from __future__ import annotations

import re
from collections import Counter

import pdfplumber
import pypdf
import pypdfium2 as pdfium
import pytest

pytestmark = pytest.mark.slow

A4_W, A4_H = 595.275, 841.889
MM = 72 / 25.4
# The text area of print.css (@page margin 17mm 15mm 19mm), with a little slack for glyph overhang;
# the running header and footer sit in the margins, so they are measured apart.
TOP, SIDE, BOTTOM = 17 * MM, 15 * MM, 19 * MM
CONTENT = (SIDE - 2, TOP - 2, A4_W - SIDE + 2, A4_H - BOTTOM + 2)
HEADER_BAND, FOOTER_BAND = (6 * MM, TOP), (A4_H - BOTTOM, A4_H - 6 * MM)
HEADING_PT = 10.4  # h3 and larger (body text is 9 pt)


@pytest.fixture(scope="module")
def pdf(demo_build):
    c, _ = demo_build
    with pdfplumber.open(c.pdf_path) as document:
        yield c.pdf_path, document


def outline(reader: pypdf.PdfReader):
    entries = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                entries.append((depth, item.title, reader.get_destination_page_number(item), float(item.top or 0)))
    walk(reader.outline, 0)
    return entries


def test_no_page_is_blank_or_painted_over(pdf):
    path, _ = pdf
    document = pdfium.PdfDocument(path)
    for index in range(len(document)):
        image = document[index].render(scale=0.25).to_pil().convert("L")
        colours = Counter(image.tobytes())
        main, count = colours.most_common(1)[0]
        share = count / (image.width * image.height)
        assert len(colours) > 8 and share < 0.995, f"page {index + 1} is a single colour ({main})"
        if index > 0:  # only the cover is dark: a full-page background elsewhere hides the text
            assert main > 200, f"page {index + 1} is painted over (main grey level {main})"


def test_page_x_of_n_is_true_on_every_page(pdf):
    _, document = pdf
    total = len(document.pages)
    for index, page in enumerate(document.pages[1:], start=2):
        footer = page.crop((0, FOOTER_BAND[0], A4_W, A4_H - 1)).extract_text() or ""
        assert re.findall(r"Page (\d+) of (\d+)", footer) == [(str(index), str(total))], f"page {index}: {footer!r}"
        assert "Confidential" in footer and "Snapshot" in footer, f"page {index} has no confidentiality marking"


def test_embedded_fonts_are_inter(pdf):
    _, document = pdf
    fonts = Counter()
    for page in document.pages:
        for char in page.chars:
            if char["text"].strip():
                fonts[char["fontname"].split("+")[-1]] += 1
    # Code spans are set in the monospace face on purpose; everything else is Inter, and DejaVu Sans is
    # only the fallback for the odd symbol Inter's subset lacks (→, ≥).
    code = sum(n for name, n in fonts.items() if name.startswith("DejaVu-Sans-Mono"))
    body = sum(fonts.values()) - code
    inter = sum(n for name, n in fonts.items() if name.startswith("Inter"))
    assert inter / body > 0.99, f"body text is not Inter: {fonts.most_common(5)}"
    assert {name.split("-")[0] for name in fonts} <= {"Inter", "DejaVu"}, fonts


def test_outline_is_nested_and_lands_on_headings(pdf):
    path, document = pdf
    entries = outline(pypdf.PdfReader(path))
    top = [title for depth, title, _, _ in entries if depth == 0]
    assert top[:2] == ["Contents", "Document control"] and "Workflows" in top and "Runbooks" in top
    assert len(top) < 20, f"the outline is flat: {len(top)} top-level entries"
    depths = {title: depth for depth, title, _, _ in entries}
    assert depths["Nightly inventory sync"] == 1 and depths["Runbook: Nightly inventory sync"] == 1
    assert max(depths.values()) == 2  # chapters → workflows → sections
    for _depth, title, index, top_y in entries:
        words = page_words(document.pages[index], A4_H - top_y)
        assert _norm(title)[:40] in words, f"bookmark {title!r} opens page {index + 1}, which lacks its heading there"


def page_words(page, y: float) -> str:
    """The text of the band a bookmark's destination points at (its top, down a few lines)."""
    return _norm(page.crop((0, max(0, y - 4), A4_W, min(A4_H, y + 60))).extract_text() or "")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _lines(page):
    """Text lines of the content area as (top, bottom, size, text), in reading order."""
    content = page.crop(CONTENT)
    lines = []
    for line in content.extract_text_lines(return_chars=True):
        size = max(c["size"] for c in line["chars"])
        lines.append((line["top"], line["bottom"], size, line["text"]))
    return lines


def test_no_heading_stranded_at_a_page_foot(pdf):
    _, document = pdf
    limit = A4_H - BOTTOM - 0.15 * (A4_H - TOP - BOTTOM)
    for index, page in enumerate(document.pages[2:-1], start=3):
        lines = _lines(page)
        for position, (top, _, size, text) in enumerate(lines):
            following = len(lines) - position - 1
            if size >= HEADING_PT and top > limit and following < 3:
                nxt = _lines(document.pages[index])
                starts_fresh = nxt and nxt[0][2] >= HEADING_PT
                assert starts_fresh, f"page {index}: heading {text!r} at the foot with {following} lines under it"


def test_few_pages_are_mostly_empty(pdf):
    _, document = pdf
    height = CONTENT[3] - CONTENT[1]
    empty = []
    for index, page in enumerate(document.pages[1:], start=2):
        boxes = [*page.crop(CONTENT).chars, *page.crop(CONTENT).images, *page.crop(CONTENT).rects]
        used = max((b["bottom"] for b in boxes), default=CONTENT[1]) - CONTENT[1]
        if used / height < 0.30:
            empty.append(index)
    assert len(empty) <= len(document.pages) / 12, f"pages more than 70 % empty: {empty}"


def _outside(document) -> list[str]:
    """Characters outside the text area (the running header and footer in their bands), cover left out."""
    out = []
    for index, page in enumerate(document.pages[1:], start=2):
        for char in page.chars:
            if not char["text"].strip():
                continue
            x0, top, x1, bottom = char["x0"], char["top"], char["x1"], char["bottom"]
            in_header = HEADER_BAND[0] <= top and bottom <= HEADER_BAND[1]
            in_footer = FOOTER_BAND[0] <= top and bottom <= FOOTER_BAND[1]
            inside = CONTENT[0] <= x0 and x1 <= CONTENT[2] and (in_header or in_footer or CONTENT[1] <= top and bottom <= CONTENT[3])
            if not inside:
                out.append(f"page {index}: {char['text']!r} at ({x0:.0f}, {top:.0f}) is outside the content box")
    return out


def test_no_text_outside_the_content_box(pdf):
    _, document = pdf
    assert not _outside(document)[:5]


def test_a_word_longer_than_a_line_stays_on_the_page(hostile_build):
    """A workflow named with a 400-digit run (the platform's data) wraps in the contents, the tables and
    the text: no character of it lands outside the text area."""
    c, _ = hostile_build
    with pdfplumber.open(c.pdf_path) as document:
        assert "7" * 60 in "".join(page.extract_text() or "" for page in document.pages[1:4])  # it is in the contents
        assert not _outside(document)[:5]


def test_workflows_average_under_four_pages(pdf, demo_build):
    path, _ = pdf
    entries = outline(pypdf.PdfReader(path))
    start = next(i for d, t, i, _ in entries if d == 0 and t == "Workflows")
    end = next(i for d, t, i, _ in entries if d == 0 and i > start)
    workflows = [t for d, t, i, _ in entries if d == 1 and start <= i < end and t not in ("Make", "n8n", "Zapier")]
    assert len(workflows) == 15
    assert (end - start) / len(workflows) < 4


def test_metadata_and_document_control(pdf):
    path, document = pdf
    reader = pypdf.PdfReader(path)
    info = reader.metadata
    assert info.title.startswith("Harbour & Pine") and info.author == "Fieldwork Automation"
    assert info.subject and "n8n" in info["/Keywords"] and "PDPA" in info["/Keywords"]
    assert reader.trailer["/Root"]["/Lang"] == "en"
    control = document.pages[2].extract_text()
    assert "Document control" in control and "Revisions" in control and "Sign-off" in control
    assert "Confidential — Harbour & Pine and Fieldwork Automation only" in control
    assert "0.9" in control and "Daniel Koh" in control


def test_no_page_holds_a_lone_line(pdf):
    """A page with a table's last row or a list's last bullet and nothing else is a page wasted."""
    _, document = pdf
    for index, page in enumerate(document.pages[1:], start=2):
        lines = _lines(page)
        assert len(lines) >= 3, f"page {index} holds only {[text for *_, text in lines]}"


TRIGGER_FILL = (0xE3, 0xF0, 0xF8)  # diagrams.STYLES["trigger"]: every flowchart starts with one


def test_every_workflow_shows_its_flowchart(pdf):
    """Text extraction cannot tell a drawn flowchart from its step table: look for the trigger's fill."""
    path, _ = pdf
    entries = outline(pypdf.PdfReader(path))
    start = next(i for i, (d, t, _, _) in enumerate(entries) if d == 0 and t == "Workflows")
    end = next(i for i, (d, _, _, _) in enumerate(entries) if d == 0 and i > start)
    workflows = [(t, p) for d, t, p, _ in entries[start:end] if d == 1 and t not in ("Make", "n8n", "Zapier")]
    following = [p for _, p in workflows[1:]] + [entries[end][2]]
    document = pdfium.PdfDocument(path)
    for (title, first), last in zip(workflows, following, strict=True):
        found = 0
        for index in range(first, last + 1):
            image = document[index].render(scale=0.5).to_pil().convert("RGB")
            found += sum(1 for pixel in image.get_flattened_data() if all(abs(a - b) <= 3 for a, b in zip(pixel, TRIGGER_FILL, strict=True)))
        assert found > 300, f"{title}: no flowchart drawn on pages {first + 1}–{last + 1}"
