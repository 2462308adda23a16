"""Redaction benchmark: scan time of `redact_document` for long single values and for whole exports.

    .venv/bin/python benchmarks/redaction.py [--skip-50mb]

Single values (20, 80 and 320 KB) of the shapes that made the old scanner quadratic: one hex string, one
base64-like run, and prose with URLs and a few keys. Exports: realistic n8n workflow files (HTTP nodes
with headers and URLs, Code nodes, sticky notes, connections) of 5 MB and 50 MB, each with planted keys.

Targets (issue 16): a 4x larger value costs at most 5x the time; a 50 MB export scans in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from generator.redact import REGISTRY, redact_document  # noqa: E402


def single_values(size: int, rng: random.Random) -> dict[str, str]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    prose = ("See https://docs.n8n.io/integrations/builtin/app-nodes/n8n-nodes-base.httpRequest/ and call "
             "https://api.hubspot.com/crm/v3/objects/contacts?limit=100 with token: sk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0 "
             "then password = Summer2026!Harbour; ")
    return {
        "hex": "".join(rng.choice("0123456789abcdef") for _ in range(size)),
        "base64": "".join(rng.choice(alphabet) for _ in range(size)),
        "prose": (prose * (size // len(prose) + 1))[:size],
    }


def workflow(index: int, rng: random.Random) -> dict:
    nodes, connections = [], {}
    previous = None
    for n in range(40):
        name = f"HTTP Request {index}-{n}"
        if n % 5 == 0:
            node = {"parameters": {"jsCode": "const rows = $input.all();\n" * 20 + f"// row {n}\nreturn rows;"},
                    "type": "n8n-nodes-base.code"}
        elif n % 7 == 0:
            node = {"parameters": {"content": "## About\nThis workflow syncs orders. Docs: "
                                              "https://docs.n8n.io/integrations/builtin/app-nodes/ " * 6},
                    "type": "n8n-nodes-base.stickyNote"}
        else:
            node = {"parameters": {"url": f"https://api.partner.io/v2/orders/{rng.randrange(10**6)}?limit=50",
                                   "method": "POST", "sendHeaders": True,
                                   "headerParameters": {"parameters": [
                                       {"name": "Authorization", "value": "={{ 'Bearer ' + $env.PARTNER_TOKEN }}"},
                                       {"name": "Content-Type", "value": "application/json"}]},
                                   "jsonBody": json.dumps({"order": "={{ $json.id }}", "note": "x" * 200})},
                    "type": "n8n-nodes-base.httpRequest"}
        node.update({"id": f"{rng.getrandbits(128):032x}", "name": name, "typeVersion": 4.2, "position": [n * 200, 0]})
        if n == 13:
            node["parameters"]["jsCode"] = "const key = 'sk_live_51NzQ8rKx7Vt2Lm9Pq4Ws6Yb3Hd0Jf5Gc';"
        nodes.append(node)
        if previous:
            connections[previous] = {"main": [[{"node": name, "type": "main", "index": 0}]]}
        previous = name
    return {"id": f"wf{index}", "name": f"Order sync {index}", "nodes": nodes, "connections": connections,
            "active": True, "settings": {"executionOrder": "v1"}}


def export_of(megabytes: float, rng: random.Random) -> list[dict]:
    one = len(json.dumps(workflow(0, rng)))
    return [workflow(i, rng) for i in range(int(megabytes * 1_000_000 / one) + 1)]


def timed(document) -> tuple[float, int]:
    REGISTRY.clear()
    started = time.perf_counter()
    result = redact_document(document)
    return time.perf_counter() - started, len(result.findings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-50mb", action="store_true")
    args = parser.parse_args()
    rng = random.Random(16)
    print("single values (seconds):")
    times: dict[str, list[float]] = {}
    for size in (20_000, 80_000, 320_000):
        for shape, value in single_values(size, rng).items():
            seconds, _ = timed({"value": value})
            times.setdefault(shape, []).append(seconds)
            print(f"  {shape:7} {size // 1000:4} KB  {seconds:7.3f}")
    for shape, (t20, t80, t320) in times.items():
        print(f"  {shape:7} 4x larger: 20→80 KB {t80 / max(t20, 1e-9):.1f}x, 80→320 KB {t320 / max(t80, 1e-9):.1f}x"
              " (target ≤ 5x)")
    for megabytes in (5, 50) if not args.skip_50mb else (5,):
        document = export_of(megabytes, rng)
        size = len(json.dumps(document)) / 1e6
        seconds, found = timed(document)
        print(f"export {size:5.1f} MB: {seconds:6.2f} s, {found} finding(s)"
              + ("  (target < 60 s)" if megabytes == 50 else ""))


if __name__ == "__main__":
    main()
