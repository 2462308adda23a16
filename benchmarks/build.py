"""Build benchmark: our full build of a synthetic client next to the raw tools on the same input.

    .venv/bin/python benchmarks/build.py [--workflows 200]

Prints, in one run:
  - our full build (`handover build`: checks, pages, site and PDF in two processes at once);
  - plain `mkdocs build` of the very Markdown we generated;
  - one WeasyPrint render of the very print HTML we generated;
  - peak memory (RSS) of each.
Target: our build within 1.25x of the two raw figures added up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from generator.store import snapshot  # noqa: E402

MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:]).returncode
took = time.perf_counter() - started
peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 0) / 1024
print(json.dumps({"seconds": took, "peak_mb": peak, "code": code}))
"""


def synthetic_client(root: Path, workflows: int) -> None:
    """The demo client, its workflows cloned (with their runs and credential uses) up to `workflows`."""
    folder = root / "clients" / "bench"
    shutil.copytree(PROJECT / "clients" / "demo", folder)
    (folder / "client.yml").write_text((folder / "client.yml").read_text().replace("slug: demo", "slug: bench"))
    snap = snapshot.load(folder / "snapshot")
    base_workflows, base_runs = list(snap.workflows), {r.workflow: r for r in snap.runs}
    clones, runs = [], []
    for i in range(workflows):
        original = base_workflows[i % len(base_workflows)]
        copy = original.model_copy(deep=True, update={"id": f"{original.id}x{i:04d}", "name": f"{original.name} #{i + 1}"})
        clones.append(copy)
        if original.ref in base_runs:
            runs.append(base_runs[original.ref].model_copy(deep=True, update={"workflow": copy.ref}))
        for step in copy.steps:
            credential = snap.credential(step.credential) if step.credential else None
            if credential:
                credential.used_by.append(type(credential.used_by[0])(workflow=copy.ref, step=step.id))
    for credential in snap.credentials:
        credential.used_by = [u for u in credential.used_by if u.workflow in {c.ref for c in clones}]
    snapshot.save(snap.model_copy(update={"workflows": clones, "runs": runs}), folder / "snapshot")


def measure(*command: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return result


WEASY = r"""
import sys
from weasyprint import CSS, HTML
html, docs, css, out = sys.argv[1:]
HTML(filename=html, base_url=docs + "/").render(stylesheets=[CSS(filename=css)]).write_pdf(out)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflows", type=int, default=200)
    args = parser.parse_args()
    handover = str(Path(sys.executable).with_name("handover"))
    with tempfile.TemporaryDirectory(prefix="handover-bench-") as tmp:
        root = Path(tmp)
        synthetic_client(root, args.workflows)
        ours = measure(handover, "build", "bench", "--root", str(root))
        build = root / "build" / "bench"
        pages = sum(1 for _ in (build / "docs").rglob("*.md"))
        shutil.rmtree(build / "site")
        raw_site = measure(sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(build / "mkdocs.yml"))
        raw_pdf = measure(sys.executable, "-c", WEASY, str(build / "print.html"), str(build / "docs"),
                          str(PROJECT / "templates" / "pdf" / "print.css"), str(root / "raw.pdf"))
        pdf_pages = len(__import__("pypdf").PdfReader(build / "bench-handover.pdf").pages)

    raw_sum = raw_site["seconds"] + raw_pdf["seconds"]
    print(f"Synthetic client: {args.workflows} workflows, {pages} Markdown pages, {pdf_pages} PDF pages")
    print(f"{'':34}{'seconds':>10}{'peak MB':>10}")
    print(f"{'our build (site + PDF in parallel)':34}{ours['seconds']:>10.1f}{ours['peak_mb']:>10.0f}")
    print(f"{'plain mkdocs build':34}{raw_site['seconds']:>10.1f}{raw_site['peak_mb']:>10.0f}")
    print(f"{'one WeasyPrint render':34}{raw_pdf['seconds']:>10.1f}{raw_pdf['peak_mb']:>10.0f}")
    print(f"{'raw figures added up':34}{raw_sum:>10.1f}")
    print(f"ratio ours / raw sum: {ours['seconds'] / raw_sum:.2f} (target <= 1.25); "
          f"ours / larger raw: {ours['seconds'] / max(raw_site['seconds'], raw_pdf['seconds']):.2f}")


if __name__ == "__main__":
    main()
