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
# How a legend names each line: the words come from the style, so the two cannot disagree.
EDGE_NAMES = {"flow": "solid grey", "error": "dashed orange-red", "call": "dotted pink", "uses": "thin grey"}


def line_legend(meanings: dict[str, str]) -> str:
    """'dotted pink arrows: one workflow starts another; …' for the styles given (style → meaning)."""
    return "; ".join(f"{EDGE_NAMES[style]} arrows: {meaning}" for style, meaning in meanings.items())


PX_TO_PT = 0.75  # the SVG's user unit is a CSS px: 1/96 in, 0.75 pt
MIN_TEXT_PT = 7.0  # no text in a diagram is printed smaller than this


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
    lanes: list[tuple[str, list[str]]] = field(default_factory=list)  # (label, node ids): a lane layout


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


LABEL_SIZE, SUB_SIZE, EDGE_SIZE, BOX_TEXT_WIDTH, PAD = 12.0, 10.5, 10.5, 168.0, 10.0
SMALLEST = min(LABEL_SIZE, SUB_SIZE, EDGE_SIZE)


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


def _boxes(diagram: Diagram, text_width_max: float = BOX_TEXT_WIDTH, fixed: float | None = None) -> dict[str, _Box]:
    boxes = {}
    for node in diagram.nodes:
        lines = wrap(node.label, LABEL_SIZE, text_width_max, 4)
        sub = wrap(node.sublabel, SUB_SIZE, text_width_max, 1) if node.sublabel else []
        width = max([text_width(t, LABEL_SIZE) for t in lines] + [text_width(t, SUB_SIZE) for t in sub] + [40])
        shape = STYLES[node.style][2]
        extra = 22 if shape in ("hexagon", "pill") else 0
        boxes[node.id] = _Box(node, lines, sub, fixed or round(width + 2 * PAD + extra),
                              round(15 * len(lines) + 13 * len(sub) + 2 * PAD))
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
        # Between layers: room for the widest edge label where the layers run left to right.
        labels = [text_width(e.label, EDGE_SIZE) + 30 for e in diagram.edges if e.label]
        sugiyama.xspace = 28
        sugiyama.yspace = max([46] + labels) if diagram.direction == "LR" else (46 if not labels else 56)
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


LANE_LABEL, LANE_BOX, LANE_GAP, LANE_WIDTH = 96.0, 150.0, 22.0, 640.0


def lane_layout(diagram: Diagram):
    """Each lane a band of rows, its boxes in a grid; edges straight from border to border (drawn under
    the boxes). Returns boxes, routes and the lanes' bands (label, y, height)."""
    boxes = _boxes(diagram, LANE_BOX - 2 * PAD, LANE_BOX)
    per_row = max(1, int((LANE_WIDTH - LANE_LABEL) // (LANE_BOX + LANE_GAP)))
    bands, y = [], 0.0
    for label, ids in diagram.lanes:
        ids = [i for i in ids if i in boxes]
        top = y
        for start in range(0, max(len(ids), 1), per_row):
            row = ids[start:start + per_row]
            height = max([boxes[i].h for i in row] + [40])
            for column, node_id in enumerate(row):
                boxes[node_id].xy = (LANE_LABEL + LANE_GAP / 2 + column * (LANE_BOX + LANE_GAP) + LANE_BOX / 2,
                                     y + LANE_GAP / 2 + height / 2)
            y += height + LANE_GAP
        bands.append((label, top, y - top))
    routes = [(e, _clip_route([boxes[e.source].xy, boxes[e.target].xy], boxes[e.source], boxes[e.target]))
              for e in diagram.edges if e.source in boxes and e.target in boxes and e.source != e.target]
    return boxes, routes, bands


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


_PLACED: dict[str, tuple] = {}  # a diagram (by its repr) → its layout: checked for legibility, then drawn
MAX_PLACED = 2000


def _placed(diagram: Diagram):
    """The diagram laid out (boxes, routes, lane bands), once per process: nothing changes them."""
    key = repr(diagram)
    if key not in _PLACED:
        if len(_PLACED) >= MAX_PLACED:
            _PLACED.clear()
        _PLACED[key] = _place(diagram)
    return _PLACED[key]


def _place(diagram: Diagram):
    if not diagram.nodes:
        return {}, [], []
    if diagram.lanes:
        return lane_layout(diagram)
    boxes, routes = layout(diagram)
    return boxes, routes, []


def _extent(boxes, routes, bands):
    if not boxes:
        return 0.0, 0.0, 200.0, 40.0
    xs = [b.xy[0] - b.w / 2 for b in boxes.values()] + [b.xy[0] + b.w / 2 for b in boxes.values()]
    ys = [b.xy[1] - b.h / 2 for b in boxes.values()] + [b.xy[1] + b.h / 2 for b in boxes.values()]
    for _, points in routes:
        xs += [p[0] for p in points]
        ys += [p[1] for p in points]
    if bands:
        xs += [0.0, LANE_WIDTH]
        ys += [0.0] + [top + height for _, top, height in bands]
    return min(xs), min(ys), max(xs), max(ys)


def fit_scale(diagram: Diagram, max_width: float | None = None, max_height: float | None = None) -> float:
    """The factor the diagram is shrunk by to fit `max_width` × `max_height` (1.0: full size)."""
    min_x, min_y, max_x, max_y = _extent(*_placed(diagram))
    width, height = max_x - min_x + 32, max_y - min_y + 32
    return min(1.0, (max_width or width) / width, (max_height or height) / height)


def legible(diagram: Diagram, max_width: float | None = None, max_height: float | None = None) -> bool:
    """True when the smallest text stays at or above MIN_TEXT_PT once the diagram is fitted."""
    return SMALLEST * PX_TO_PT * fit_scale(diagram, max_width, max_height) >= MIN_TEXT_PT - 1e-9


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_spot(points, w: float, h: float, taken: list) -> tuple[float, float]:
    """A point on the line where a w×h label covers no box and no other label (the middle if none)."""
    segments = list(zip(points, points[1:], strict=False))
    candidates = []
    for t in (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9):
        for (x1, y1), (x2, y2) in segments[len(segments) // 2:] + segments[:len(segments) // 2]:
            candidates.append((x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))
    for x, y in candidates:
        rect = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if not any(_overlaps(rect, other) for other in taken):
            return x, y
    return candidates[0]


def to_svg(diagram: Diagram, max_width: float | None = None, max_height: float | None = None) -> str:
    """The diagram as a standalone SVG document (no blank line inside, so it can be inlined in Markdown)."""
    boxes, routes, bands = _placed(diagram)
    margin = 16.0
    min_x, min_y, max_x, max_y = _extent(boxes, routes, bands)
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
    for index, (label, top, band_h) in enumerate(bands):
        fill = "#f4f7f8" if index % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{_n(dx)}" y="{_n(top + dy)}" width="{_n(LANE_WIDTH)}" height="{_n(band_h)}" fill="{fill}" stroke="#d5dde2" stroke-width="0.8"/>')
        for i, line in enumerate(wrap(label, LABEL_SIZE, LANE_LABEL - 16, 2)):
            out.append(f'<text x="{_n(dx + 8)}" y="{_n(top + dy + 22 + i * 15)}" font-size="{_n(LABEL_SIZE)}" font-weight="600" fill="#0f3d3e">{escape(line)}</text>')
    for edge, points in routes:
        colour, dash, stroke_width = EDGE_STYLES[edge.style]
        path = " ".join(("M" if i == 0 else "L") + f"{_n(x + dx)} {_n(y + dy)}" for i, (x, y) in enumerate(points))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke_width}"{dash_attr}/>')
        out.append(_arrow([(x + dx, y + dy) for x, y in points], colour))
    for node in diagram.nodes:
        box = boxes[node.id]
        x, y = box.xy[0] - box.w / 2 + dx, box.xy[1] - box.h / 2 + dy
        parts = _shape(box, x, y)
        text_y = y + PAD + 11
        colour = MUTED if node.style == "disabled" else INK
        for line in box.lines:
            parts.append(f'<text x="{_n(box.xy[0] + dx)}" y="{_n(text_y)}" font-size="{_n(LABEL_SIZE)}" text-anchor="middle" fill="{colour}">{escape(line)}</text>')
            text_y += 15
        for line in box.sub:
            parts.append(f'<text x="{_n(box.xy[0] + dx)}" y="{_n(text_y)}" font-size="{_n(SUB_SIZE)}" text-anchor="middle" fill="{MUTED}">{escape(line)}</text>')
            text_y += 13
        if node.link:
            out.append(f'<a href="{escape(node.link, {chr(34): "&quot;"})}">' + "".join(parts) + "</a>")
        else:
            out.extend(parts)
    # Edge labels last, on top, each where it covers no box and no other label.
    taken = [(b.xy[0] - b.w / 2, b.xy[1] - b.h / 2, b.xy[0] + b.w / 2, b.xy[1] + b.h / 2) for b in boxes.values()]
    for edge, points in routes:
        if edge.label:
            text = _clip(edge.label, EDGE_SIZE, 130)
            tw, th = text_width(text, EDGE_SIZE) + 8, 15.0
            lx, ly = _label_spot(points, tw, th, taken)
            taken.append((lx - tw / 2, ly - th / 2, lx + tw / 2, ly + th / 2))
            colour = EDGE_STYLES[edge.style][0]
            out.append(f'<rect x="{_n(lx + dx - tw / 2)}" y="{_n(ly + dy - th / 2)}" width="{_n(tw)}" height="{_n(th)}" rx="3" fill="#ffffff" stroke="{colour}" stroke-width="0.6"/>')
            out.append(f'<text x="{_n(lx + dx)}" y="{_n(ly + dy + 3.8)}" font-size="{_n(EDGE_SIZE)}" text-anchor="middle" fill="{INK}">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
