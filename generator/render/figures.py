"""From the snapshot to diagrams: one flowchart per workflow, and the client's integration map.

Long workflows are split into parts that fit an A4 page at a readable size; a step whose successor
sits in another part gets a small "continues" marker naming it, so nothing is lost in the split.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import StepKind, Workflow
from generator.render.diagrams import Diagram, Edge, Node, line_legend

STEPS_PER_PART = 10  # a top-to-bottom chain of 10 boxes fits an A4 page at full size
WORKFLOWS_PER_MAP = 8  # with their credentials and apps, about one A4 page


@dataclass
class Figure:
    name: str  # file stem under docs/diagrams/
    diagram: Diagram
    caption: str


def _step_style(step, calls: dict[str, str]) -> str:
    if step.disabled:
        return "disabled"
    if step.id in calls or step.kind == StepKind.sub_workflow:
        return "call"
    return {
        StepKind.trigger: "trigger",
        StepKind.router: "branch",
        StepKind.condition: "branch",
        StepKind.code: "code",
        StepKind.error_handler: "error",
    }.get(step.kind, "action")


def flowcharts(workflow: Workflow, stem: str, names: dict[str, str], calls: dict[str, str] | None = None,
               steps_per_part: int = STEPS_PER_PART) -> list[Figure]:
    """The workflow's flowchart, in parts of at most STEPS_PER_PART steps. `names` maps workflow refs to
    names; `calls` maps step ids to the workflow each starts (default: the steps' own `calls`)."""
    calls = calls if calls is not None else {s.id: s.calls for s in workflow.steps if s.calls}
    steps = list(workflow.steps)
    if not any(s.kind == StepKind.trigger for s in steps):
        trigger = workflow.trigger
        label = trigger.app or trigger.kind.value.replace("_", " ")
        sub = trigger.schedule.description if trigger.schedule else (trigger.event or "trigger")
        steps_nodes = [Node("__trigger__", label, sub, "trigger")]
        first = steps[0].id if steps else None
        extra_edges = [Edge("__trigger__", first)] if first else []
    else:
        steps_nodes, extra_edges = [], []
    nodes = steps_nodes + [
        Node(s.id, s.name + (" (disabled)" if s.disabled else ""),
             " · ".join(x for x in (s.app, s.operation) if x), _step_style(s, calls))
        for s in steps
    ]
    edges = extra_edges + [
        Edge(e.source, e.target, e.label or ("on error" if e.error else ""), "error" if e.error else "flow")
        for e in workflow.edges
    ]
    for s in steps:  # calls: a marker naming the workflow the step starts
        if s.id in calls:
            marker = f"__calls__{s.id}"
            nodes.append(Node(marker, f"starts: {names.get(calls[s.id], calls[s.id])}", "another workflow", "stub"))
            edges.append(Edge(s.id, marker, "", "call"))

    part_of: dict[str, int] = {}
    parts: list[list[Node]] = []
    for node in nodes:
        owner = node.id.removeprefix("__calls__") if node.id.startswith("__calls__") else None
        if owner is not None and owner in part_of:
            index = part_of[owner]  # a call marker stays with its step
        else:
            if not parts or sum(1 for n in parts[-1] if not n.id.startswith("__calls__")) >= steps_per_part:
                parts.append([])
            index = len(parts) - 1
        part_of[node.id] = index
        parts[index].append(node)

    noun = workflow.platform.workflow_noun
    figures = []
    for index, part in enumerate(parts):
        by_id = {n.id: n for n in nodes}
        part_nodes = list(part)
        part_edges = []
        for edge in edges:
            src, dst = part_of.get(edge.source), part_of.get(edge.target)
            if src == index and dst == index:
                part_edges.append(edge)
            elif src == index and dst is not None:
                marker = f"__to__{edge.target}"
                if marker not in {n.id for n in part_nodes}:
                    part_nodes.append(Node(marker, f"continues: {by_id[edge.target].label}", f"part {dst + 1}", "stub"))
                part_edges.append(Edge(edge.source, marker, edge.label, edge.style))
            elif dst == index and src is not None:
                marker = f"__from__{edge.source}"
                if marker not in {n.id for n in part_nodes}:
                    part_nodes.insert(0, Node(marker, f"from: {by_id[edge.source].label}", f"part {src + 1}", "stub"))
                part_edges.append(Edge(marker, edge.target, edge.label, edge.style))
        suffix = f" (part {index + 1} of {len(parts)})" if len(parts) > 1 else ""
        title = f"Flowchart of the {workflow.platform.label} {noun} “{workflow.name}”{suffix}"
        description = (
            f"{len([n for n in part if not n.id.startswith('__')])} steps; arrows show the order; "
            + line_legend({"error": "error paths", "call": "calls to other workflows"}) + "."
        )
        figures.append(Figure(f"{stem}" + (f"-part{index + 1}" if len(parts) > 1 else ""),
                              Diagram(title, description, part_nodes, part_edges, "TB"), title))
    return figures


def overview_map(views, link_for) -> Figure | None:
    """Every workflow in one picture, one lane per platform, with the chains between them (calls and
    error handlers) drawn across the lanes."""
    if not views:
        return None
    lanes: dict[str, list[str]] = {}
    nodes, edges = [], []
    for v in views:
        lanes.setdefault(v.workflow.platform.label, []).append(v.ref)
        nodes.append(Node(v.ref, v.workflow.name, v.workflow.platform.workflow_noun, "workflow", link_for(v)))
    for v in views:
        edges += [Edge(v.ref, w.ref, "", "call") for w in v.calls]
        if v.error_handler:
            edges.append(Edge(v.ref, v.error_handler.ref, "", "error"))
    description = (f"{len(views)} workflows in one lane per platform; "
                   + line_legend({"call": "one workflow starts another", "error": "failures handed to an error workflow"}) + ".")
    return Figure("overview-map", Diagram("How the platforms connect", description, nodes, edges, "LR",
                                          lanes=list(lanes.items())), "How the platforms connect")


def integration_maps(views, link_for, per_map: int = WORKFLOWS_PER_MAP) -> list[Figure]:
    """Apps ↔ workflows ↔ credentials, with chains between workflows (calls and error handlers).

    One map per platform (and per WORKFLOWS_PER_MAP workflows), so each stays readable on a page; a
    chain to a workflow on another map is drawn to a marker naming that workflow and its platform.
    """
    groups = []
    by_platform: dict[str, list] = {}
    for v in views:
        by_platform.setdefault(v.workflow.platform.label, []).append(v)
    for platform, items in by_platform.items():
        for start in range(0, len(items), per_map):
            chunk = items[start:start + per_map]
            suffix = f" ({start // per_map + 1} of {-(-len(items) // per_map)})" if len(items) > per_map else ""
            groups.append((f"{platform}{suffix}", chunk))
    figures = []
    for index, (group, chunk) in enumerate(groups):
        in_map = {v.ref for v in chunk}
        nodes: dict[str, Node] = {}
        edges: list[Edge] = []
        for v in chunk:
            wf = v.workflow
            nodes[wf.ref] = Node(wf.ref, wf.name, f"{wf.platform.label} {wf.platform.workflow_noun}", "workflow", link_for(v))
        for v in chunk:
            for target, label, style in [(w, "starts", "call") for w in v.calls] + (
                [(v.error_handler, "on failure", "error")] if v.error_handler else []
            ):
                if target.ref not in in_map and target.ref not in nodes:
                    nodes[target.ref] = Node(target.ref, target.name, f"{target.platform.label}, other map", "stub")
                edges.append(Edge(v.ref, target.ref, label, style))
            for credential in v.credentials:
                key = f"cred:{credential.ref}"
                nodes.setdefault(key, Node(key, credential.name, f"{credential.platform.label} credential", "credential"))
                edges.append(Edge(v.ref, key, "", "uses"))
                app = f"app:{credential.app}"
                nodes.setdefault(app, Node(app, credential.app, "", "app"))
                if not any(e.source == key and e.target == app for e in edges):
                    edges.append(Edge(key, app, "", "uses"))
        name = f"integration-map-{index + 1}"
        title = f"Integration map: {group}"
        description = (
            f"{len(chunk)} workflows (boxes), the credentials they use (rounded) and the apps those reach "
            f"(hexagons); " + line_legend({"call": "one workflow starts another",
                                           "error": "failures handed to an error workflow"}) + "."
        )
        figures.append(Figure(name, Diagram(title, description, list(nodes.values()), edges, "LR"), title))
    return figures


def personal_data_map(flows) -> Figure | None:
    """Apps personal data comes from (left) and goes to (right), one arrow per pair with its categories."""
    if not flows:
        return None
    diagram = Diagram(title="Personal data flows", description="Apps personal data comes from and goes to, "
                      "as found in the workflow definitions", direction="LR")
    pairs: dict[tuple[str, str], set[str]] = {}
    for flow in flows:
        if flow.status == "dismissed":
            continue
        for source in flow.sources:
            pairs.setdefault((source, flow.destination), set()).update(flow.categories)
    if not pairs:
        return None
    # Two columns, sources left and destinations right: an app that is both is drawn once in each, so
    # the drawing stays two columns wide however the flows chain.
    sources, destinations = sorted({s for s, _ in pairs}), sorted({d for _, d in pairs})
    src = {app: f"from{i}" for i, app in enumerate(sources)}
    dst = {app: f"to{i}" for i, app in enumerate(destinations)}
    diagram.nodes = [Node(src[a], a, style="app") for a in sources] + [Node(dst[a], a, style="app") for a in destinations]
    diagram.edges = [Edge(src[s], dst[d], label=", ".join(sorted(c))[:40]) for (s, d), c in sorted(pairs.items())]
    return Figure("personal-data", diagram, "Personal data: from which app to which")
