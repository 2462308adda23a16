"""Authored runbooks: Markdown files in `clients/<client>/runbooks/`, with an optional YAML header.

    ---
    title: Re-registering Shopify webhooks
    summary: After a store migration or app re-install.
    workflows: [n8n:Ord3rSync01]
    ---
    # Re-registering Shopify webhooks
    …
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..yamlio import InputError, read_yaml, validate

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class RunbookHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    summary: str | None = None
    workflows: list[str] = []
    credentials: list[str] = []


def load_authored(directory: Path) -> list[dict]:
    runbooks = []
    for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
        text = path.read_text(encoding="utf-8-sig")
        header = RunbookHeader()
        match = _FRONT.match(text)
        if match:
            header = validate(read_yaml(path, match.group(1)), RunbookHeader)
            text = text[match.end():]
        heading = re.search(r"^# (.+)$", text, re.M)
        title = header.title or (heading.group(1).strip() if heading else path.stem.replace("-", " ").capitalize())
        if not heading:
            text = f"# {title}\n\n{text}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", path.stem):
            raise InputError([f"{path}: name runbook files with lower case letters, digits and dashes"])
        runbooks.append({"page": f"runbooks/guide-{path.stem}.md", "title": title, "summary": header.summary,
                         "workflows": header.workflows, "credentials": header.credentials, "body": text})
    return runbooks
