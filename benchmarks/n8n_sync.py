"""n8n sync benchmark: executions read per second and peak memory, against a bare httpx loop.

    .venv/bin/python benchmarks/n8n_sync.py [--workflows 200] [--sizes 20000 200000]

For each size a fake n8n (tests/fake_n8n.py, its own process) serves the workflows and executions on
127.0.0.1. Each measurement runs in a fresh process so its peak resident memory is its own:
- "handover": the real sync of the n8n part (workflows, executions aggregated while streaming, error
  details of failed runs), nothing written;
- "bare loop": httpx fetching the same execution pages and decoding the JSON, nothing else.

Targets (issue 3): peak memory grows by at most 20 % from 20k to 200k executions; throughput within
1.5x of the bare loop.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


def measure_handover(base: str) -> dict:
    from generator.config import PlatformConfig
    from generator.connectors import n8n
    from generator.connectors.base import SyncContext

    config = PlatformConfig(kind="n8n", name="bench", base_url=base, api_key_env="BENCH_KEY", window_days=31)
    started = time.perf_counter()
    collected = n8n.connector.sync(config, "test-key", SyncContext(now=datetime.now(UTC)))
    seconds = time.perf_counter() - started
    stats = [collected.runs.stats(w.ref) for w in collected.workflows]  # what would be written
    return {"runs": collected.runs.runs_read, "seconds": seconds, "workflows": len(collected.workflows),
            "requests": collected.requests, "failed": sum(s.failed for s in stats)}


def measure_bare(base: str) -> dict:
    import httpx

    started = time.perf_counter()
    runs, requests, cursor = 0, 0, None
    with httpx.Client(base_url=base + "/api/v1", headers={"X-N8N-API-KEY": "test-key"}) as http:
        http.get("/workflows", params={"limit": 250}).json()
        while True:
            params = {"limit": 250, **({"cursor": cursor} if cursor else {})}
            page = http.get("/executions", params=params).json()
            requests += 1
            runs += len(page["data"])
            cursor = page.get("nextCursor")
            if not cursor:
                break
    return {"runs": runs, "seconds": time.perf_counter() - started, "requests": requests}


def child(kind: str, base: str) -> None:
    result = (measure_handover if kind == "handover" else measure_bare)(base)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(kind: str, base: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, base], capture_output=True, text=True,
                          check=True, cwd=PROJECT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = {}
    print(f"{'executions':>10}  {'what':<10} {'runs read':>10} {'seconds':>8} {'runs/s':>9} {'peak RSS':>9}")
    for size in args.sizes:
        server = subprocess.Popen([sys.executable, "-m", "tests.fake_n8n", "--workflows", str(args.workflows),
                                   "--executions", str(size)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        try:
            base = server.stdout.readline().strip()
            for kind in ("bare", "handover"):
                r = run_child(kind, base)
                results[(size, kind)] = r
                print(f"{size:>10,}  {kind:<10} {r['runs']:>10,} {r['seconds']:>8.2f} "
                      f"{r['runs'] / r['seconds']:>9,.0f} {r['peak_rss_mb']:>7.1f} MB", flush=True)
        finally:
            server.terminate()
            server.wait()
    small, large = min(args.sizes), max(args.sizes)
    growth = results[(large, "handover")]["peak_rss_mb"] / results[(small, "handover")]["peak_rss_mb"] - 1
    print(f"\npeak memory growth {small:,} → {large:,} executions: {growth:+.1%} (target ≤ +20 %)")
    for size in args.sizes:
        ratio = results[(size, "handover")]["seconds"] / results[(size, "bare")]["seconds"]
        print(f"time vs bare loop at {size:,}: {ratio:.2f}x (target ≤ 1.5x; includes "
              f"{results[(size, 'handover')]['failed']} error-detail requests the bare loop does not make)")


if __name__ == "__main__":
    main()
