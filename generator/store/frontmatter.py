"""Markdown files with a YAML header between `---` lines: incidents, runbooks, the generated pages.

    ---
    title: Re-registering Shopify webhooks
    ---
    # Re-registering Shopify webhooks

The header is parsed by `yamlio.read_yaml` with its line numbers kept equal to the file's, so every
problem in it is reported as file:line: field like any other YAML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InputError
from generator.store.yamlio import Located, read_text, read_yaml

_OPEN = re.compile(r"---[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*\r?$", re.M)


@dataclass
class Document:
    header: Located | None  # None when the file has no header
    body: str  # everything after the closing `---` line, blank lines at its start dropped


def split(text: str) -> tuple[str | None, str]:
    """(header text or None, body), without parsing; None also for a header that is never closed."""
    opening = _OPEN.match(text)
    closing = _CLOSE.search(text, opening.end()) if opening else None
    if not closing:
        return None, text
    return text[opening.end():closing.start()], text[closing.end():].lstrip("\r\n")


def parse(path: Path, text: str | None = None) -> Document:
    """The file's header (parsed, located) and body; an unclosed header is an error with its line."""
    text = read_text(path) if text is None else text
    header, body = split(text)
    if header is None:
        if _OPEN.match(text):
            raise InputError([f"{path}:1: the YAML header that starts here is never closed; end it with a line "
                              "'---'"])
        return Document(None, text)
    return Document(read_yaml(path, "\n" + header), body)  # the leading newline keeps the file's line numbers
