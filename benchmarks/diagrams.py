"""Diagram layout benchmark: a 150-step workflow and a 60-workflow integration map.

    .venv/bin/python benchmarks/diagrams.py

Prints layout + SVG time for each (best of 3). Target: under 1 s each on a 2-core machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from build import synthetic_client  # noqa: E402

from generator.commands.build import portal_for  # noqa: E402
from generator.model import Edge, Step, Trigger, Workflow  # noqa: E402
from generator.render.diagrams import Diagram, to_svg  # noqa: E402
from generator.render.figures import flowcharts, integration_maps  # noqa: E402
from generator.store.workspace import client  # noqa: E402


def big_workflow(n: int = 150) -> Workflow:
    """A long workflow with a router every 10 steps and an error route every 25."""
    steps = [Step(id=f"s{i}", name=f"Step {i}: update the record in the CRM", app="HubSpot", operation="update",
                  kind="router" if i % 10 == 5 else ("trigger" if i == 0 else "action")) for i in range(n)]
    edges = [Edge(**{"from": f"s{i}", "to": f"s{i + 1}"}) for i in range(n - 1)]
    edges += [Edge(**{"from": f"s{i}", "to": f"s{i + 3}", "label": "route B"}) for i in range(5, n - 3, 10)]
    edges += [Edge(**{"from": f"s{i}", "to": f"s{i + 2}", "error": True}) for i in range(2, n - 2, 25)]
    return Workflow(platform="n8n", id="big", name="Big", trigger=Trigger(kind="manual"), steps=steps, edges=edges)


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    wf = big_workflow()
    took, parts = best_of(lambda: [to_svg(f.diagram, 680, 900) for f in flowcharts(wf, "big", {})])
    print(f"150-step workflow: {took:.3f} s for {len(parts)} parts (layout + SVG)")

    single = Diagram("one", "unsplit", *(lambda f: (sum((x.diagram.nodes for x in f), []), sum((x.diagram.edges for x in f), [])))(flowcharts(wf, "big", {})))
    took, _ = best_of(lambda: to_svg(single))
    print(f"  same steps as one unsplit drawing: {took:.3f} s")

    with tempfile.TemporaryDirectory() as tmp:
        synthetic_client(Path(tmp), 60)
        portal = portal_for(client("bench", Path(tmp)), with_history=False)
    took, maps = best_of(lambda: [to_svg(m.diagram, 680, 900) for m in integration_maps(portal.workflows, lambda v: v.page)])
    print(f"60-workflow integration map: {took:.3f} s for {len(maps)} maps (layout + SVG)")
    print("target: under 1 s each")


if __name__ == "__main__":
    main()
