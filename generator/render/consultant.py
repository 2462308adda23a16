"""The consultant report: what the client's site and PDF leave out on purpose.

The client's pages speak of the consultant and the handover archive; how a fact was collected, which
key (variable) read what, which client.yml key to change and which command regenerates what are the
consultant's, and go here: `build/<client>/consultant/report.md` and a standalone `report.html`,
outside the site's docs and the PDF.
"""

from __future__ import annotations

import html

import jinja2
import markdown

from generator import __version__
from generator.render.pages import environment
from generator.render.portal import Portal
from generator.store.workspace import TEMPLATES_DIR, Client
from generator.store.yamlio import atomic_write

EXTENSIONS = ["tables", "toc", "attr_list", "md_in_html", "sane_lists"]
STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;
vertical-align:top}th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem}"""


def report_dir(client: Client):
    return client.build_dir / "consultant"


def render_report(portal: Portal) -> str:
    """The report's Markdown."""
    env = environment(portal.config.client.timezone)
    env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES_DIR / "consultant"), env.loader])
    return env.get_template("report.md.j2").render(portal=portal, config=portal.config, snapshot=portal.snapshot,
                                                   version=__version__)


def write_report(client: Client, portal: Portal):
    """Write the report (Markdown and a standalone HTML page); returns the HTML's path."""
    text = render_report(portal)
    body = markdown.markdown(text, extensions=EXTENSIONS)
    title = html.escape(f"Consultant report: {portal.config.client.name}")
    page = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
    folder = report_dir(client)
    atomic_write(folder / "report.md", text)
    atomic_write(folder / "report.html", page)
    return folder / "report.html"
