"""Platform data renders as text: the escaping filters, checked through real Markdown conversion."""

import markdown
import pytest

from generator.render.text import code, ext_link, md, md_block

EXTENSIONS = ["tables", "toc", "admonition", "attr_list", "md_in_html", "def_list", "pymdownx.superfences"]


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "{{ 7*7 }}",
        "| [x](javascript:alert(1))",
        "**bold** _under_ `tick` # hash",
        "a\\b [link](http://x) ![img](y.png) {: .cls }",
    ],
)
def test_inline_text_stays_text(value):
    html = render(f"Name: {md(value)}")
    assert "<script" not in html and "<a " not in html and "<img" not in html and "<strong" not in html
    # What a reader sees is exactly the value (entities decoded).
    import html as h
    import re

    visible = h.unescape(re.sub(r"<[^>]+>", "", html)).strip()
    assert visible == f"Name: {' '.join(value.split())}"


def test_table_cell_pipe_does_not_split_the_row():
    html = render(f"| A | B |\n|---|---|\n| {md('x | y')} | z |\n")
    assert html.count("<td>") == 2 and "x | y" in html


def test_block_text_cannot_start_lists_or_headings():
    html = render(md_block("- one\n1. two\n# three\n\n=== four"))
    assert "<ul>" not in html and "<ol>" not in html and "<h1" not in html


def test_code_and_links():
    assert "&lt;b&gt;" in code("<b>")
    assert ext_link("javascript:alert(1)") == md("javascript:alert(1)")
    assert ext_link("https://example.com/a?b=1&c=2").startswith('<a href="https://example.com/a?b=1&amp;c=2">')
