"""`handover serve`: MkDocs' live-reload server over the generated docs, regenerated on every edit.

MkDocs watches `build/<client>/docs/`; a small watcher thread here regenerates that folder when the
client's inputs or the templates change, so an edit to client.yml shows up in the browser.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from mkdocs.commands.serve import serve as mkdocs_serve

from generator.commands.build import portal_for
from generator.errors import InputError
from generator.render.pages import write_docs
from generator.store.workspace import TEMPLATES_DIR, Client


def _fingerprint(folders: list[Path]) -> tuple:
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for f in folders if f.exists() for p in f.rglob("*") if p.is_file()))


def _regenerate(client: Client) -> None:
    fresh = Client(client.root, client.slug)  # a new Client re-reads client.yml
    write_docs(fresh, portal_for(fresh))


def run(client: Client, port: int) -> None:
    """Regenerate, then serve until interrupted (the one command that runs rather than returns)."""
    _regenerate(client)
    watched = [client.dir, TEMPLATES_DIR]
    stop = threading.Event()

    def watch():
        seen = _fingerprint(watched)
        while not stop.wait(1.0):
            now = _fingerprint(watched)
            if now != seen:
                seen = now
                try:
                    _regenerate(client)
                    print(f"{time.strftime('%H:%M:%S')} regenerated pages for {client.slug}")
                except InputError as exc:
                    for problem in exc.problems:
                        print(f"error: {problem}")

    threading.Thread(target=watch, daemon=True).start()
    try:
        mkdocs_serve(str(client.build_dir / "mkdocs.yml"), dev_addr=f"127.0.0.1:{port}", livereload=True)
    finally:
        stop.set()
