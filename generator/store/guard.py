"""The write guard: no output of this run may contain a secret this run has found.

Redaction (`generator.redact`) registers every secret value it finds, in memory only. Every writer —
`yamlio.atomic_write` (snapshot, exports, generated pages, mkdocs.yml, diagrams), the built site, the
print HTML the PDF is made from, the bundle's members, the audit log and the terminal — passes its
output through `check` first. A hit means redaction was bypassed somewhere: the write is refused and
the error names the file and the secret's fingerprint, never the value. A second line of defence, not
the first: nothing here redacts.
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import HandoverError
from generator.redact import REGISTRY


class SecretLeak(HandoverError):
    """A write that would have put a secret found during this run into an output (exit 4: a bug)."""


def leak(data: str | bytes) -> str | None:
    """The fingerprint of a registered secret in `data`, else None."""
    if not len(REGISTRY):
        return None
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return REGISTRY.find(text)


def check(data: str | bytes, where: str | Path) -> None:
    """Refuse (raise SecretLeak) if `data`, about to be written to `where`, holds a secret found this run."""
    found = leak(data)
    if found:
        raise SecretLeak(f"{where}: refused to write it, it would contain a secret found during this run "
                         f"(fingerprint {found}); nothing was written there",
                         "this is a bug in redaction: please report it with the fingerprint")


def check_tree(folder: Path) -> None:
    """`check` every file under `folder` (a site written by another tool, before it is published)."""
    if not len(REGISTRY) or not folder.exists():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif", ".woff", ".woff2", ".ttf",
                                                           ".ico", ".pdf"):
            check(path.read_bytes(), path)


def safe_text(text: str, where: str = "output") -> str:
    """`text`, or — if it holds a secret found this run — a notice in its place (for the terminal and
    the audit log, where refusing would hide the failure being reported)."""
    found = leak(text)
    return text if not found else f"({where} withheld: it contained a secret found during this run, {found})"


class GuardedStream:
    """A stand-in for sys.stdout or sys.stderr (looked up at each write, so test captures work) that
    replaces any text holding a registered secret by a notice: the terminal output of every command."""

    def __init__(self, name: str):
        self._name = name

    @property
    def _stream(self):
        import sys

        return getattr(sys, self._name)

    def write(self, text: str) -> int:
        return self._stream.write(safe_text(text, "terminal output"))

    def __getattr__(self, attribute):
        return getattr(self._stream, attribute)
