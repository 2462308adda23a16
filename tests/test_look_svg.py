"""The demo's diagrams measured from their SVG geometry: text size at the printed scale, and no text
box crossing another box or another text (a label hidden under a box, two labels on top of each other)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from generator.render.diagrams import MIN_TEXT_PT, PX_TO_PT, Diagram, Edge, Node, text_width, to_svg
from generator.render.pages import DIAGRAM_HEIGHT, DIAGRAM_WIDTH, plan
from tests.conftest import copy_demo

SVG = "{http://www.w3.org/2000/svg}"
PRINT_WIDTH_PX = 665  # the PDF's text area (176 mm); a wider drawing is shrunk to it


def geometry(svg: str):
    """(font size in pt as printed, text box) per text, and the box of every filled shape."""
    root = ET.fromstring(svg)
    scale = min(float(root.get("width")), PRINT_WIDTH_PX) / float(root.get("viewBox").split()[2])
    texts, boxes = [], []
    for el in root.iter():
        tag = el.tag.removeprefix(SVG)
        if tag == "text":
            size, x, y = float(el.get("font-size")), float(el.get("x")), float(el.get("y"))
            width = text_width(el.text or "", size)
            x0 = x - width / 2 if el.get("text-anchor") == "middle" else x
            texts.append((size * PX_TO_PT * scale, (x0, y - 0.75 * size, x0 + width, y + 0.22 * size), el.text))
        elif tag == "rect" and el.get("fill") != "none":
            x, y = float(el.get("x")), float(el.get("y"))
            boxes.append((x, y, x + float(el.get("width")), y + float(el.get("height"))))
        elif tag == "polygon" and len(el.get("points").split()) > 3:  # hexagons (not arrow heads)
            points = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return texts, boxes


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01


def _inside(a, b) -> bool:
    return b[0] <= a[0] + 0.01 and b[1] <= a[1] + 0.01 and a[2] <= b[2] + 0.01 and a[3] <= b[3] + 0.01


def problems(svg: str) -> list[str]:
    texts, boxes = geometry(svg)
    found = [f"{t!r} is {size:.1f} pt" for size, _, t in texts if size < MIN_TEXT_PT - 1e-6]
    for i, (_, box, text) in enumerate(texts):
        found += [f"{text!r} crosses a box's edge" for other in boxes if _overlap(box, other) and not _inside(box, other)]
        found += [f"{text!r} overlaps {t!r}" for _, b, t in texts[i + 1:] if _overlap(box, b)]
    return found


@pytest.fixture(scope="module")
def demo_svgs(tmp_path_factory):
    from generator.commands.build import portal_for
    from generator.store.workspace import client

    root = tmp_path_factory.mktemp("svg-root")
    copy_demo(root)
    pages = plan(portal_for(client("demo", root), with_history=False))
    svgs = {}
    for page in pages + [child for p in pages for child in p.children]:
        for figure in page.extra.get("figures", []):
            svgs[figure.name] = to_svg(figure.diagram, DIAGRAM_WIDTH, DIAGRAM_HEIGHT)
        for figure, svg in page.extra.get("maps", []):
            svgs[figure.name] = svg
        if page.extra.get("map_svg"):
            svgs["personal-data"] = page.extra["map_svg"]
    return svgs


def test_detector_sees_small_and_covered_text():
    crowded = Diagram("t", "d", [Node(f"n{i}", "a label long enough to matter " * 3) for i in range(40)],
                      [Edge("n0", f"n{i}") for i in range(1, 40)], "LR")
    assert any("pt" in p for p in problems(to_svg(crowded, 300, 300)))
    covered = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
               '<rect x="0" y="0" width="50" height="40" fill="#fff"/><text x="40" y="20" font-size="12">label</text></svg>')
    assert any("crosses" in p for p in problems(covered))


def test_demo_diagrams_are_legible_and_uncovered(demo_svgs):
    assert "overview-map" in demo_svgs and "personal-data" in demo_svgs and len(demo_svgs) > 15
    found = {name: p for name, svg in demo_svgs.items() if (p := problems(svg))}
    assert not found, found
    smallest = min(size for svg in demo_svgs.values() for size, _, _ in geometry(svg)[0])
    assert smallest >= MIN_TEXT_PT


def test_overview_map_has_a_lane_per_platform(demo_svgs):
    texts = [t for _, _, t in geometry(demo_svgs["overview-map"])[0]]
    assert {"Make", "n8n", "Zapier"} <= set(texts)


def test_legend_words_match_the_drawing(demo_svgs):
    from generator.render.diagrams import EDGE_NAMES, EDGE_STYLES

    # The description names the lines as drawn: dotted (short dash) in pink, dashed in orange-red.
    assert EDGE_STYLES["call"][0] == "#CC79A7" and "pink" in EDGE_NAMES["call"] and "dotted" in EDGE_NAMES["call"]
    assert EDGE_STYLES["error"][0] == "#D55E00" and "orange-red" in EDGE_NAMES["error"]
    desc = ET.fromstring(demo_svgs["overview-map"]).find(f"{SVG}desc").text
    assert "dotted pink" in desc and "dashed orange-red" in desc and "purple" not in desc and " red " not in desc
