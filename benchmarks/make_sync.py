"""Make sync benchmark: how close the paced sync comes to the rate limit's theoretical minimum.

    .venv/bin/python benchmarks/make_sync.py [--scenarios 300] [--logs 200] [--limit 240] [--window 60]

A fake Make API (tests/fake_make.py, its own process) serves the scenarios and their run logs and
enforces the per-organisation limit over a sliding window, answering 429 beyond it. The sync paces
itself under the limit the organisation reports. Printed: requests, time, the theoretical minimum
(requests ÷ limit × window), their ratio, and how many 429s the server gave. `--window 6` shrinks the
"minute" to six seconds for a quick look: the ratio is what matters.

Target (issue 4): at most 1.15x the theoretical minimum, and no 429 caused by our own pacing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from generator.config import PlatformConfig  # noqa: E402
from generator.connectors import make  # noqa: E402
from generator.connectors.base import SyncContext  # noqa: E402
from tests.fake_make import TOKEN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=300)
    parser.add_argument("--logs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=240)
    parser.add_argument("--window", type=float, default=60.0, help="Seconds in the limit's window (60 on Make).")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "tests.fake_make", "--scenarios", str(args.scenarios),
                               "--logs", str(args.logs), "--limit", str(args.limit), "--window", str(args.window)],
                              cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        base = server.stdout.readline().strip()
        config = PlatformConfig(kind="make", name="bench", base_url=base, organization_id=10,
                                api_key_env="BENCH_TOKEN", window_days=30)
        print(f"{args.scenarios} scenarios × {args.logs} log entries, limit {args.limit} requests per "
              f"{args.window:g} s …", flush=True)
        started = time.perf_counter()
        collected = make.connector.sync(config, TOKEN, SyncContext(now=datetime.now(UTC), rate_window=args.window))
        seconds = time.perf_counter() - started
        with urllib.request.urlopen(base + "/__stats") as answer:
            rejected = json.load(answer)["rejected"]
    finally:
        server.terminate()
        server.wait()
    minimum = collected.requests / args.limit * args.window
    # A sliding window lets the first `limit` requests through at once: the floor is one window less.
    floor = max(0.0, (collected.requests - args.limit) / args.limit * args.window)
    print(f"requests           {collected.requests:,}")
    print(f"runs read          {collected.runs.runs_read:,}")
    print(f"sync time          {seconds:.1f} s")
    print(f"theoretical min    {minimum:.1f} s  (requests ÷ limit × window)")
    print(f"ratio              {seconds / minimum:.2f}x (target ≤ 1.15x; a burst-then-wait limiter can go "
          f"below 1.0, to {floor / minimum:.2f}x)")
    print(f"429s from server   {rejected} (target 0); retried by us: {collected.throttled}")


if __name__ == "__main__":
    main()
