"""Diagrams as static SVG: per-workflow flowcharts and the client's integration map.

A neutral graph model (nodes, edges, styles) is laid out in layers with grandalf (Sugiyama, pure
Python) and written by our own small SVG writer, so the same file works in the browser and in
WeasyPrint (which runs no JavaScript and ignores CSS classes in SVG):

- explicit width, height and viewBox; a <title> and <desc>; presentation attributes only;
- no foreignObject, no script, no external reference; every label XML-escaped;
- deterministic: coordinates are rounded and elements written in a fixed order, so the same snapshot
  gives the same bytes;
- shapes and dash patterns carry meaning as well as colour (Okabe–Ito palette, safe for colour-blind
  readers and in greyscale print).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import SugiyamaLayout

FONT = "Inter, DejaVu Sans, Arial, sans-serif"
INK, MUTED, LINE = "#1d2733", "#5f6b7a", "#6b7785"
# Okabe–Ito colours.
BLUE, ORANGE, VERMILLION, PURPLE, GREEN, SKY = "#0072B2", "#E69F00", "#D55E00", "#CC79A7", "#009E73", "#56B4E9"

STYLES = {
    # style: (fill, stroke, shape)
    "trigger": ("#e3f0f8", BLUE, "pill"),
    "action": ("#ffffff", "#4a5866", "rect"),
    "branch": ("#fdf1d8", ORANGE, "hexagon"),
    "code": ("#f1f3f5", "#4a5866", "rect"),
    "call": ("#f7e6ef", PURPLE, "double"),
    "error": ("#fbe3d6", VERMILLION, "rect"),
    "disabled": ("#f1f3f5", "#a3acb5", "dashed"),
    "stub": ("#ffffff", "#a3acb5", "dashed"),
    # integration map
    "workflow": ("#ffffff", "#0f3d3e", "rect"),
    "credential": ("#eef6f5", GREEN, "pill"),
    "app": ("#e3f0f8", BLUE, "hexagon"),
}
EDGE_STYLES = {
    # style: (colour, dash pattern or None, width)
    "flow": (LINE, None, 1.3),
    "error": (VERMILLION, "5 3", 1.5),
    "call": (PURPLE, "1.5 2.5", 1.8),
    "uses": ("#8a96a3", None, 1.0),
}


@dataclass
class Node:
    id: str
    label: str
    sublabel: str = ""
    style: str = "action"
    link: str | None = None


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""
    style: str = "flow"


@dataclass
class Diagram:
    title: str
    description: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    direction: str = "TB"  # TB: top to bottom (flowcharts); LR: left to right (the map)


# --------------------------------------------------------------------------------------------------
# Text measurement: a width table close to Inter/DejaVu at 1 em, enough to size boxes predictably.

_NARROW, _WIDE = set("ijlI.,:;'!|() "), set("mwMW@%")


def text_width(text: str, size: float) -> float:
    units = sum(0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.68 if c.isupper() else 0.56 for c in text)
    return units * size


def wrap(text: str, size: float, max_width: float, max_lines: int = 2) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if text_width(trial, size) <= max_width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    return [_clip(line, size, max_width) for line in lines]


def _clip(line: str, size: float, max_width: float) -> str:
    while text_width(line, size) > max_width and len(line) > 2:
        line = line[:-2] + "…"
    return line


# --------------------------------------------------------------------------------------------------
# Layout


LABEL_SIZE, SUB_SIZE, BOX_TEXT_WIDTH, PAD = 11.0, 9.0, 150.0, 10.0


@dataclass
class _Box:
    node: Node
    lines: list[str]
    sub: list[str]
    w: float
    h: float
    xy: tuple[float, float] = (0.0, 0.0)


class _View:  # what grandalf needs to know of a vertex
    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


class _EdgeView:
    def __init__(self):
        self.points: list[tuple[float, float]] = []

    def setpath(self, points):
        self.points = [tuple(p) for p in points]


def _boxes(diagram: Diagram) -> dict[str, _Box]:
    boxes = {}
    for node in diagram.nodes:
        lines = wrap(node.label, LABEL_SIZE, BOX_TEXT_WIDTH, 4)
        sub = wrap(node.sublabel, SUB_SIZE, BOX_TEXT_WIDTH, 1) if node.sublabel else []
        width = max([text_width(t, LABEL_SIZE) for t in lines] + [text_width(t, SUB_SIZE) for t in sub] + [40])
        shape = STYLES[node.style][2]
        extra = 22 if shape in ("hexagon", "pill") else 0
        boxes[node.id] = _Box(node, lines, sub, round(width + 2 * PAD + extra), round(14 * len(lines) + 12 * len(sub) + 2 * PAD))
    return boxes


def layout(diagram: Diagram):
    """Positions for every node and a polyline for every edge (grandalf Sugiyama per component)."""
    boxes = _boxes(diagram)
    vertices = {}
    for node_id, box in boxes.items():
        v = Vertex(node_id)
        # grandalf lays out top to bottom; for left-to-right we swap the axes before and after.
        v.view = _View(box.h, box.w) if diagram.direction == "LR" else _View(box.w, box.h)
        vertices[node_id] = v
    gedges = []
    for edge in diagram.edges:
        if edge.source in vertices and edge.target in vertices and edge.source != edge.target:
            e = GEdge(vertices[edge.source], vertices[edge.target])
            e.view = _EdgeView()
            e.model = edge
            gedges.append(e)
    graph = Graph(list(vertices.values()), gedges)
    offset_x, placed_edges = 0.0, []
    # Components side by side (TB) or stacked (LR), in the order their first node was declared.
    order = {node.id: i for i, node in enumerate(diagram.nodes)}
    components = sorted(graph.C, key=lambda c: min(order[v.data] for v in c.sV))
    for component in components:
        sugiyama = SugiyamaLayout(component)
        sugiyama.xspace, sugiyama.yspace = 28, 46
        # Every root, in declaration order: left to itself grandalf finds them by iterating sets keyed
        # by object identity, and the layout would change from one run to the next.
        in_order = sorted(component.sV, key=lambda v: order[v.data])
        sugiyama.init_all(roots=[v for v in in_order if not v.e_in()] or in_order[:1])
        sugiyama.draw(3)
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        shift = offset_x - min(xs)
        for v in component.sV:
            x, y = v.view.xy
            v.view.xy = (x + shift, y)
        for e in component.sE:
            e.view.points = [(x + shift, y) for x, y in e.view.points]
            placed_edges.append(e)
        offset_x = max(v.view.xy[0] + v.view.w / 2 for v in component.sV) + 40
    for node_id, v in vertices.items():
        x, y = v.view.xy
        boxes[node_id].xy = (y, x) if diagram.direction == "LR" else (x, y)
    routes = []
    for e in placed_edges:
        points = e.view.points or [e.v[0].view.xy, e.v[1].view.xy]
        if diagram.direction == "LR":
            points = [(y, x) for x, y in points]
        routes.append((e.model, _clip_route(points, boxes[e.model.source], boxes[e.model.target])))
    routes.sort(key=lambda r: (order[r[0].source], order[r[0].target], r[0].label))
    return boxes, routes


def _clip_route(points, source: _Box, target: _Box):
    """Start and end the line on the boxes' borders rather than at their centres."""
    points = list(points)
    points[0] = _border(source, points[1] if len(points) > 1 else target.xy)
    points[-1] = _border(target, points[-2] if len(points) > 1 else source.xy)
    return points


def _border(box: _Box, toward) -> tuple[float, float]:
    cx, cy = box.xy
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min((box.w / 2) / abs(dx) if dx else math.inf, (box.h / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


# --------------------------------------------------------------------------------------------------
# SVG writer


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _shape(box: _Box, x: float, y: float) -> list[str]:
    fill, stroke, shape = STYLES[box.node.style]
    w, h = box.w, box.h
    if shape == "pill":
        return [f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(h / 2)}" fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>']
    if shape == "hexagon":
        k = 11
        pts = [(x + k, y), (x + w - k, y), (x + w, y + h / 2), (x + w - k, y + h), (x + k, y + h), (x, y + h / 2)]
        return [f'<polygon points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in pts)}" fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>']
    dash = ' stroke-dasharray="4 3"' if shape == "dashed" else ""
    out = [f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="1.4"{dash}/>']
    if shape == "double":
        out.append(f'<rect x="{_n(x + 3)}" y="{_n(y + 3)}" width="{_n(w - 6)}" height="{_n(h - 6)}" rx="3" fill="none" stroke="{stroke}" stroke-width="0.8"/>')
    return out


def _arrow(points, colour: str) -> str:
    (x1, y1), (x2, y2) = points[-2], points[-1]
    angle = math.atan2(y2 - y1, x2 - x1)
    size = 7.0
    left = (x2 - size * math.cos(angle - 0.4), y2 - size * math.sin(angle - 0.4))
    right = (x2 - size * math.cos(angle + 0.4), y2 - size * math.sin(angle + 0.4))
    return f'<polygon points="{_n(x2)},{_n(y2)} {_n(left[0])},{_n(left[1])} {_n(right[0])},{_n(right[1])}" fill="{colour}"/>'


def to_svg(diagram: Diagram, max_width: float | None = None, max_height: float | None = None) -> str:
    """The diagram as a standalone SVG document (no blank line inside, so it can be inlined in Markdown)."""
    boxes, routes = layout(diagram) if diagram.nodes else ({}, [])
    margin = 16.0
    if boxes:
        min_x = min(b.xy[0] - b.w / 2 for b in boxes.values())
        min_y = min(b.xy[1] - b.h / 2 for b in boxes.values())
        max_x = max(b.xy[0] + b.w / 2 for b in boxes.values())
        max_y = max(b.xy[1] + b.h / 2 for b in boxes.values())
        for _, points in routes:
            min_x, max_x = min([min_x] + [p[0] for p in points]), max([max_x] + [p[0] for p in points])
            min_y, max_y = min([min_y] + [p[1] for p in points]), max([max_y] + [p[1] for p in points])
    else:
        min_x = min_y = 0.0
        max_x, max_y = 200.0, 40.0
    dx, dy = margin - min_x, margin - min_y
    width, height = max_x - min_x + 2 * margin, max_y - min_y + 2 * margin
    # Scale the displayed size to fit (a page), keep the drawing's own coordinates in the viewBox.
    scale = min(1.0, (max_width or width) / width, (max_height or height) / height)
    shown_w, shown_h = width * scale, height * scale
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(shown_w)}" height="{_n(shown_h)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" font-family="{FONT}">',
        f"<title>{escape(diagram.title)}</title>",
        f"<desc>{escape(diagram.description)}</desc>",
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>',
    ]
    for edge, points in routes:
        colour, dash, stroke_width = EDGE_STYLES[edge.style]
        path = " ".join(("M" if i == 0 else "L") + f"{_n(x + dx)} {_n(y + dy)}" for i, (x, y) in enumerate(points))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke_width}"{dash_attr}/>')
        out.append(_arrow([(x + dx, y + dy) for x, y in points], colour))
    for edge, points in routes:  # labels above lines
        if edge.label:
            mid = len(points) // 2
            (x1, y1), (x2, y2) = points[mid - 1], points[mid]
            lx, ly = (x1 + x2) / 2 + dx, (y1 + y2) / 2 + dy
            text = _clip(edge.label, 9.0, 120)
            tw = text_width(text, 9.0) + 8
            colour = EDGE_STYLES[edge.style][0]
            out.append(f'<rect x="{_n(lx - tw / 2)}" y="{_n(ly - 7)}" width="{_n(tw)}" height="13" rx="3" fill="#ffffff" stroke="{colour}" stroke-width="0.6"/>')
            out.append(f'<text x="{_n(lx)}" y="{_n(ly + 3)}" font-size="9" text-anchor="middle" fill="{INK}">{escape(text)}</text>')
    for node in diagram.nodes:
        box = boxes[node.id]
        x, y = box.xy[0] - box.w / 2 + dx, box.xy[1] - box.h / 2 + dy
        parts = _shape(box, x, y)
        text_y = y + PAD + 10
        colour = MUTED if node.style == "disabled" else INK
        for line in box.lines:
            parts.append(f'<text x="{_n(box.xy[0] + dx)}" y="{_n(text_y)}" font-size="{_n(LABEL_SIZE)}" text-anchor="middle" fill="{colour}">{escape(line)}</text>')
            text_y += 14
        for line in box.sub:
            parts.append(f'<text x="{_n(box.xy[0] + dx)}" y="{_n(text_y)}" font-size="{_n(SUB_SIZE)}" text-anchor="middle" fill="{MUTED}">{escape(line)}</text>')
            text_y += 12
        if node.link:
            out.append(f'<a href="{escape(node.link, {chr(34): "&quot;"})}">' + "".join(parts) + "</a>")
        else:
            out.extend(parts)
    out.append("</svg>")
    return "\n".join(out) + "\n"
