"""The community set in a real n8n: 250 real-world workflows (tests/fixtures/community) loaded through
n8n's public API, then one sync, measured.

    .venv/bin/python benchmarks/community.py

Starts n8n 2.40.7 on 127.0.0.1 (installed by scripts/install-n8n.sh; about 40 s to start), creates
each workflow with `POST /workflows`, syncs a fresh client and prints: workflows loaded, refused by
n8n (with n8n's reason), documented, not documented (with the reason), sync time, and peak memory
(Python allocations during the sync, by tracemalloc, and the process's peak RSS). Then the same 250
files through `handover import` (no n8n: the files as they are, the refused ones included).
"""

from __future__ import annotations

import os
import re
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from typer.testing import CliRunner  # noqa: E402

from generator.cli import app  # noqa: E402
from generator.connectors import sync_client  # noqa: E402
from generator.connectors.base import SyncContext  # noqa: E402
from generator.store import snapshot  # noqa: E402
from generator.store.workspace import client as load_client  # noqa: E402
from tests.real_n8n import RealN8n, install, load_community, write_community_files  # noqa: E402

READ = ["workflow:list", "workflow:read", "execution:list", "execution:read", "credential:list", "project:list",
        "user:list", "tag:list", "variable:list", "securityAudit:generate"]


def run(server: RealN8n, root: Path) -> dict:
    """Load the set, sync once; what was loaded, refused, documented and not documented, and the cost."""
    api = server.api(server.api_key("load", ["workflow:create"]))
    accepted, refused = load_community(api)
    api.close()
    assert CliRunner().invoke(app, ["init", "community", "--root", str(root)]).exit_code == 0
    config = root / "clients/community/client.yml"
    config.write_text(config.read_text().replace("platforms: []", (
        f"platforms:\n  - kind: n8n\n    name: community\n    base_url: {server.base}\n"
        "    api_key_env: COMMUNITY_N8N_KEY\n")))
    os.environ["COMMUNITY_N8N_KEY"] = server.api_key("read", READ)
    client = load_client("community", root)
    tracemalloc.start()
    started = time.monotonic()
    (outcome,) = sync_client(client, SyncContext(now=datetime.now(UTC)))
    seconds = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    snap = snapshot.load(client.snapshot_dir)
    documented = {w.id for w in snap.workflows}
    not_documented = {n.workflow.split(":", 1)[1]: n.reason for n in snap.platforms[0].not_documented}
    return {"accepted": accepted, "refused": refused, "documented": documented, "not_documented": not_documented,
            "seconds": seconds, "peak_python": peak, "outcome": outcome,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def imported(root: Path) -> dict:
    """All 250 files through `handover import` into a fresh client: documented and not documented."""
    files = write_community_files(root / "files")
    assert CliRunner().invoke(app, ["init", "files", "--root", str(root)]).exit_code == 0
    started = time.monotonic()
    result = CliRunner().invoke(app, ["import", "files", "n8n", *files, "--root", str(root)])
    seconds = time.monotonic() - started
    snap = snapshot.load(root / "clients/files/snapshot")
    facts = snap.platforms[0] if snap.platforms else None
    rejected = re.findall(r"^error: rejected \(n8n\) (.*)$", result.output, re.M)
    repeats = re.findall(r"^.*is also in an earlier file of this import.*$", result.output, re.M)
    return {"exit": result.exit_code, "documented": len(snap.workflows), "seconds": seconds,
            "not_documented": {n.workflow: n.reason for n in facts.not_documented} if facts else {},
            "rejected": rejected, "repeats": repeats,
            "output": result.output[-2000:] if result.exit_code not in (0, 1, 2) else ""}


def _kind(reason: str) -> str:
    """n8n's refusal without the ids and names in it, so that like reasons count together."""
    code = re.search(r"\((unknown_connection_\w+|[a-z]+_[a-z_]+)\)", reason)
    if code:
        return f"{reason.split(' ', 1)[0]} workflow structure is invalid ({code.group(1)}: a connection names a node " \
               "that does not exist)"
    return re.sub(r'"[^"]*"', '"…"', re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}", "<id>", reason))[:120]


def report(result: dict) -> str:
    accepted, documented, missing = result["accepted"], result["documented"], result["not_documented"]
    lines = [f"community workflows in the set:     {len(accepted) + len(result['refused'])}",
             f"loaded into n8n (accepted):         {len(accepted)}",
             f"refused by n8n:                     {len(result['refused'])}"]
    for reason, count in Counter(_kind(r) for r in result["refused"].values()).most_common():
        lines.append(f"    {count:4d} × {reason}")
    lines += [f"documented:                         {len(documented & accepted.keys())}",
              f"not documented:                     {len(missing)}"]
    for ident, reason in sorted(missing.items()):
        lines.append(f"    {accepted.get(ident, ident)}: {reason}")
    unaccounted = accepted.keys() - documented - missing.keys()
    lines += [f"neither (must be 0):                {len(unaccounted)}",
              f"sync time:                          {result['seconds']:.1f} s",
              f"peak Python memory during the sync: {result['peak_python'] / 2**20:.1f} MiB (tracemalloc)",
              f"peak RSS of this process:           {result['peak_rss'] / 2**20:.0f} MiB"]
    files = result.get("import")
    if files:
        lines += ["", f"handover import of the same {len(accepted) + len(result['refused'])} files (exit {files['exit']}):",
                  f"documented:                         {files['documented']}",
                  f"not documented:                     {len(files['not_documented'])}"]
        for ident, reason in sorted(files["not_documented"].items()):
            lines.append(f"    {ident}: {reason}")
        lines.append(f"rejected as bad input (exit 2):      {len(files['rejected'])}")
        lines += [f"    {line}" for line in files["rejected"]]
        lines.append(f"repeats of an earlier file (same id): {len(files['repeats'])}")
        lines.append(f"import time:                        {files['seconds']:.1f} s")
        if files["output"]:
            lines.append(files["output"])
    return "\n".join(lines)


def main() -> None:
    server = RealN8n(install())
    try:
        server.start()
        with tempfile.TemporaryDirectory(prefix="handover-community-") as root:
            result = run(server, Path(root))
            result["import"] = imported(Path(root))
            print(report(result))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
