"""Scale benchmark: estates of 20, 200 and 2,000 workflows, side by side, in one run.

    .venv/bin/python benchmarks/scale.py [--sizes 20 200 2000] [--keep DIR]

For each size, in fresh processes (`handover …`, peak RSS of the largest process it started):
  - import: that many n8n export files in one `handover import` (a fresh client), then the same
    files again (an update of every workflow): memory should stay flat in the number of files;
  - build: the full build (site and PDF) of a synthetic client of that size (the demo's workflows
    cloned, spread over folders; the PDF is the summary edition above 60 workflows);
  - site size per workflow (the whole site divided by the workflows) and the largest workflow page;
  - PDF pages (and per workflow) and size;
  - the site opened from file:// in headless Chromium and searched offline (matches, time, requests);
  - rebuild with nothing changed (skipped) and after one workflow changed.
Targets (issue 22, at 2,000): build < 10 min, peak RSS < 1.5 GB, site < 150 KB per workflow, PDF
<= 1.5 pages per workflow and < 50 MB, one-change rebuild < 10 % of the build, import < 2 min with
memory flat in the number of files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from build import MEASURE, synthetic_client  # noqa: E402
from generator.store import snapshot  # noqa: E402

FIXTURE = PROJECT / "tests" / "fixtures" / "n8n" / "orders-webhook.json"


def estate(root: Path, workflows: int) -> None:
    """The build benchmark's synthetic client, its workflows spread over five copies of each demo
    folder (every seventh in none), as a large agency client's would be."""
    synthetic_client(root, workflows)
    folder = root / "clients" / "bench" / "snapshot"
    snap = snapshot.load(folder)
    for i, workflow in enumerate(snap.workflows):
        workflow.folder = None if i % 7 == 0 else f"{workflow.folder or 'Operations'} {i % 5 + 1}"
    snapshot.save(snap, folder)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "estate"],
                   cwd=root, check=True)


def export_files(folder: Path, count: int) -> list[Path]:
    """`count` n8n exports: the fixture with its own id and name each."""
    folder.mkdir(parents=True)
    base = json.loads(FIXTURE.read_text())
    paths = []
    for i in range(count):
        path = folder / f"wf-{i:05d}.json"
        path.write_text(json.dumps({**base, "id": f"imp{i:05d}", "name": f"{base['name']} #{i + 1}"}))
        paths.append(path)
    return paths


def measure(*command: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{out.stderr[-2000:]}")
    return result


def offline_search(site: Path, tmp: Path) -> dict:
    """The built site opened from file:// in headless Chromium, searched for a word of a workflow's
    name: how many documents match, how long it took, and how many requests left the machine."""
    from tests.test_browser import browse

    word = "loyalty"  # in the name of every twelfth workflow ("Loyalty points award #n")
    started = time.perf_counter()
    dom, requests = browse((site / "workflows" / "index.html").as_uri() + f"?q={word}", tmp)
    found = re.search(r"([\d,]+) matching documents?", dom)
    return {"search_matches": int(found.group(1).replace(",", "")) if found else 0,
            "search_s": time.perf_counter() - started, "search_requests": len(requests)}


def one_size(root: Path, workflows: int) -> dict:
    handover = [sys.executable, "-m", "generator"]
    estate(root, workflows)
    # The import goes to a client of its own (the demo's client.yml, no snapshot yet).
    imports = root / "clients" / "imports"
    imports.mkdir()
    (imports / "client.yml").write_text((PROJECT / "clients" / "demo" / "client.yml").read_text()
                                        .replace("slug: demo", "slug: imports"))
    shutil.copy(PROJECT / "clients" / "demo" / "logo.svg", imports / "logo.svg")  # client.yml names it
    files = export_files(root / "exports", workflows)
    imported = measure(*handover, "import", "imports", "n8n", *map(str, files), "--root", str(root))
    reimported = measure(*handover, "import", "imports", "n8n", *map(str, files), "--root", str(root))

    built = measure(*handover, "build", "bench", "--root", str(root))
    build_load = os.getloadavg()[0]  # the machine is shared: the load beside the figure
    build = root / "build" / "bench"
    site = build / "site"
    site_bytes = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    largest_page = max(p.stat().st_size for p in (site / "workflows").glob("*.html"))
    pdf = build / "bench-handover.pdf"
    pdf_pages = len(__import__("pypdf").PdfReader(pdf).pages)
    pdf_bytes = pdf.stat().st_size
    search = offline_search(site, root / "browser")

    unchanged = measure(*handover, "build", "bench", "--root", str(root))
    snap_dir = root / "clients" / "bench" / "snapshot"
    snap = snapshot.load(snap_dir)
    snap.workflows[len(snap.workflows) // 2].description = "Changed for the benchmark."
    snapshot.save(snap, snap_dir)
    changed = measure(*handover, "build", "bench", "--root", str(root))
    changed_load = os.getloadavg()[0]
    return {"import_s": imported["seconds"], "import_mb": imported["peak_mb"],
            "reimport_s": reimported["seconds"], "reimport_mb": reimported["peak_mb"],
            "build_s": built["seconds"], "build_mb": built["peak_mb"],
            "site_kb_per_wf": site_bytes / 1024 / workflows, "largest_page_kb": largest_page / 1024,
            "pdf_pages": pdf_pages, "pdf_pages_per_wf": pdf_pages / workflows, "pdf_mb": pdf_bytes / 2**20,
            "unchanged_s": unchanged["seconds"], "changed_s": changed["seconds"], "changed_mb": changed["peak_mb"],
            "changed_share": changed["seconds"] / built["seconds"], "build_load": build_load,
            "changed_load": changed_load, **search}


ROWS = [
    ("import (s)", "import_s", "{:.1f}"),
    ("import peak RSS (MB)", "import_mb", "{:.0f}"),
    ("import again (s)", "reimport_s", "{:.1f}"),
    ("  peak RSS (MB)", "reimport_mb", "{:.0f}"),
    ("full build (s)", "build_s", "{:.1f}"),
    ("build peak RSS (MB)", "build_mb", "{:.0f}"),
    ("  load average (1 min) after", "build_load", "{:.1f}"),
    ("site KB per workflow", "site_kb_per_wf", "{:.0f}"),
    ("largest workflow page (KB)", "largest_page_kb", "{:.0f}"),
    ("PDF pages", "pdf_pages", "{}"),
    ("PDF pages per workflow", "pdf_pages_per_wf", "{:.2f}"),
    ("PDF size (MB)", "pdf_mb", "{:.1f}"),
    ("offline search: matches", "search_matches", "{}"),
    ("  seconds (Chromium, file://)", "search_s", "{:.1f}"),
    ("  requests to the network", "search_requests", "{}"),
    ("rebuild, unchanged (s)", "unchanged_s", "{:.1f}"),
    ("rebuild, one changed (s)", "changed_s", "{:.1f}"),
    ("  share of the full build", "changed_share", "{:.0%}"),
    ("  peak RSS (MB)", "changed_mb", "{:.0f}"),
    ("  load average (1 min) after", "changed_load", "{:.1f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--keep", type=Path, help="Build the estates here and leave them (default: a temporary folder).")
    args = parser.parse_args()
    results = {}
    base = args.keep or Path(tempfile.mkdtemp(prefix="handover-scale-"))
    try:
        for size in args.sizes:
            results[size] = one_size(base / f"estate-{size}", size)
            print(f"{size} workflows done", file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{'workflows':28}" + "".join(f"{size:>10}" for size in results))
    for label, key, fmt in ROWS:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>10}" for r in results.values()))


if __name__ == "__main__":
    main()
