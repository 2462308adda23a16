"""Rebuild benchmark: full build of a 200-workflow client, then the rebuild after one workflow changed.

    .venv/bin/python benchmarks/rebuild.py [--workflows 200]

Target (issue 8): the rebuild takes at most 20 % of the full build.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from build import synthetic_client  # noqa: E402

from generator.commands.build import build  # noqa: E402
from generator.store import snapshot  # noqa: E402
from generator.store.workspace import client  # noqa: E402


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--no-pdf", action="store_true", help="Site only.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic_client(root, args.workflows)
        c = client("bench", root)
        full = timed(lambda: build(c, with_pdf=not args.no_pdf))
        unchanged = timed(lambda: build(c, with_pdf=not args.no_pdf))
        snap = snapshot.load(c.snapshot_dir)
        snap.workflows[0].steps[-1].operation = "changed for the benchmark"
        snapshot.save(snap, c.snapshot_dir)
        results = []
        one = timed(lambda: results.append(build(c, with_pdf=not args.no_pdf)))
        parts = results[0].pdf_parts
    print(f"{args.workflows} workflows{' (site only)' if args.no_pdf else ''}")
    print(f"full build                    {full:7.1f} s")
    print(f"rebuild, nothing changed      {unchanged:7.1f} s  ({unchanged / full:.0%})")
    print(f"rebuild, one workflow changed {one:7.1f} s  ({one / full:.0%}; target <= 20 %)")
    if parts:
        print(f"  PDF parts laid out again: {parts['laid_out']} of {parts['parts']} (the rest from the cache)")


if __name__ == "__main__":
    main()
