"""Every page of the demo site in a real headless Chromium, at 1,280 px and at 400 px, measured from the DOM.

One harness page loads each site page in turn into an iframe of the width under test and records, at
1,280 px, every element wider than the content area and every box that scrolls sideways; at 400 px,
every table that scrolls without keeping its first column in view. Chromium's log gives the console
messages and its net log every request: none may leave file://. Control pages prove each detector
sees what it looks for.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess

import pytest

from tests.test_browser import CHROMIUM

pytestmark = pytest.mark.slow

HARNESS = """<!doctype html><html><body><pre id="out"></pre><iframe id="f" style="border:0"></iframe><script>
const pages = %s, widths = [1280, 400], out = [];
const f = document.getElementById('f');
let i = 0;
function next() {
  if (i >= pages.length * widths.length) { document.getElementById('out').textContent = 'RESULT' + JSON.stringify(out) + 'END'; return; }
  const w = widths[Math.floor(i / pages.length)], p = pages[i %% pages.length];
  f.style.width = w + 'px'; f.style.height = '900px';
  f.onload = () => setTimeout(() => { out.push(measure(p, w)); i++; next(); }, 50);
  f.src = p;
}
function name(el) { return el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''); }
function measure(p, w) {
  const d = f.contentDocument, win = f.contentWindow, inner = d.querySelector('.md-content__inner') || d.body;
  const r = {page: p, width: w, wide: [], scrolls: [], unstuck: [], page_wide: d.documentElement.scrollWidth > w + 1};
  const box = inner.getBoundingClientRect();
  for (const el of inner.querySelectorAll('*')) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) continue;
    if (w === 1280) {
      if (b.right > box.right + 1 || b.left < box.left - 1) r.wide.push(name(el) + ' ' + Math.round(b.width) + 'px');
      if (/(auto|scroll)/.test(win.getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth + 1) r.scrolls.push(name(el));
    } else if (el.tagName === 'TABLE' && el.scrollWidth > el.clientWidth + 1) {
      const first = el.rows[el.rows.length - 1].cells[0];
      if (win.getComputedStyle(first).position !== 'sticky') r.unstuck.push(name(el));
    }
  }
  return r;
}
next();
</script></body></html>"""


def look(pages: list[str], tmp) -> tuple[list[dict], list[str], list[str]]:
    """Measurements per page and width, console messages, and requests outside file://."""
    if os.environ.get("HANDOVER_SKIP_BROWSER") == "1":
        pytest.skip("HANDOVER_SKIP_BROWSER=1")
    assert CHROMIUM, "chromium is not installed: run `make test` or `scripts/system-deps.sh --test`, which install it"
    harness, netlog = tmp / "harness.html", tmp / "netlog.json"
    harness.write_text(HARNESS % json.dumps(pages))
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files",
         f"--user-data-dir={tmp / 'profile'}", f"--log-net-log={netlog}", "--enable-logging=stderr", "--v=0",
         "--window-size=1400,1000", f"--virtual-time-budget={4000 * len(pages)}", "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=600,
    )
    found = re.search(r"RESULT(.*?)END", run.stdout, re.S)
    assert found, f"the harness did not finish: {run.stderr[-2000:]}"
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    events = json.loads(netlog.read_text()).get("events", [])
    requests = sorted({
        e["params"]["url"] for e in events
        if "url" in e.get("params", {}) and e["params"].get("initiator", "not an origin") != "not an origin"
        and not e["params"]["url"].startswith(("file:", "data:", "blob:", "about:"))
    })
    return json.loads(html.unescape(found.group(1))), console, requests


def test_detectors_see_wide_content_errors_and_requests(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<!doctype html><div class="md-content__inner" style="width:600px">'
                    '<div style="width:900px">wide</div><div style="overflow-x:auto"><p style="width:2000px">x</p></div>'
                    '<table style="display:block;overflow-x:auto;width:300px"><tr><td style="min-width:900px">a</td></tr></table>'
                    '</div><img src="http://127.0.0.1:9/pixel.png"><script>console.error("control-error")</script>')
    results, console, requests = look([page.as_uri()], tmp_path)
    wide, narrow = results
    assert wide["wide"] and wide["scrolls"] and narrow["unstuck"]
    assert any("control-error" in line for line in console)
    assert any(r.startswith("http://127.0.0.1:9/") for r in requests)


def test_every_page_fits_and_is_quiet(demo_build, tmp_path):
    c, _ = demo_build
    pages = sorted(p.as_uri() for p in c.site_dir.rglob("*.html") if p.name != "404.html")
    assert len(pages) >= 40
    results, console, requests = look(pages, tmp_path)
    assert len(results) == 2 * len(pages)
    problems = []
    for r in results:
        where = f"{r['page'].rsplit('/site/', 1)[-1]} at {r['width']} px"
        if r["page_wide"]:
            problems.append(f"{where}: the page scrolls sideways")
        if r["wide"]:
            problems.append(f"{where}: wider than the content area: {r['wide'][:3]}")
        if r["scrolls"]:
            problems.append(f"{where}: scrolls sideways: {r['scrolls'][:3]}")
        if r["unstuck"]:
            problems.append(f"{where}: a wide table loses its first column: {r['unstuck'][:3]}")
    assert not problems, "\n".join(problems)
    assert console == []
    assert requests == []


def test_site_presentation(demo_build):
    c, _ = demo_build
    access = (c.site_dir / "access.html").read_text()
    assert access.index("Summary") < access.index("credentials</h2>")  # the summary table comes first
    index = (c.site_dir / "index.html").read_text()
    assert 'data-md-color-scheme="slate"' in index and "assets/client-logo.svg" in index  # dark mode, logo
    assert "&amp;amp;" not in index and 'aria-label="Next: Action register"' in index
    assert "client.css" in index and "#1f5c4a" in (c.site_dir / "assets/stylesheets/client.css").read_text()
    search = json.loads(re.search(r"var __index = (.*?);?\s*$", (c.site_dir / "search/search_index.js").read_text(), re.S).group(1))
    boosted = {d["location"].split("#")[0]: d["boost"] for d in search["docs"] if d.get("boost")}
    workflows = {f"workflows/{p.name}" for p in (c.site_dir / "workflows").glob("*.html") if p.name != "index.html"}
    assert boosted == {"incident-response.html": 3} | dict.fromkeys(workflows, 2)  # whom to call; a workflow's own page
    workflow = (c.site_dir / "workflows/n8n-Ord3rSync01.html").read_text()
    assert re.search(r'<a href="\.\./diagrams/[^"]+\.svg"[^>]*><img', workflow)  # diagrams open full size
    assert 'class="ho-diagram-link"' in (c.site_dir / "architecture.html").read_text()
