"""Regenerate the README's screenshots in docs/screenshots/: the PDF's cover, its executive summary, a
workflow page of the PDF and the site's security page (Chromium, 1,280 px). Builds the demo first.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import pypdf  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from generator.commands.build import build  # noqa: E402
from generator.store.workspace import client  # noqa: E402

OUT = PROJECT / "docs" / "screenshots"
WORKFLOW = "Refund processor"  # its page with the steps and the flowchart beside the edge table


def main() -> None:
    demo = client("demo", PROJECT)
    build(demo)
    OUT.mkdir(parents=True, exist_ok=True)
    reader = pypdf.PdfReader(demo.pdf_path)
    entries = list(_flat(reader.outline))
    start = next(i for i, o in enumerate(entries) if o.title == WORKFLOW)
    first = next(reader.get_destination_page_number(o) for o in entries[start:] if o.title == "Steps")
    summary = next(reader.get_destination_page_number(o) for o in entries if o.title == "Executive summary")
    document = pdfium.PdfDocument(demo.pdf_path)
    for index, name in ((0, "pdf-cover.png"), (summary, "pdf-summary.png"), (first, "pdf-workflow.png")):
        document[index].render(scale=1.4).to_pil().save(OUT / name, optimize=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                        f"--user-data-dir={profile}", "--window-size=1280,1100", "--virtual-time-budget=5000",
                        f"--screenshot={OUT / 'site-security.png'}", (demo.site_dir / "security.html").as_uri()],
                       check=True, capture_output=True, timeout=120)
    print("\n".join(str(p.relative_to(PROJECT)) for p in sorted(OUT.glob("*.png"))))


def _flat(items):
    for item in items:
        yield from _flat(item) if isinstance(item, list) else [item]


if __name__ == "__main__":
    main()
