"""The verbs, one module each: `run(...) -> Result`. A command prints nothing; the CLI renders its Result.

A Result is what a consultant is told (lines and tables, in order), what goes to standard output for
tools (JSON, CSV, SARIF, diff text), the exit status, and the audit entries to record. Failures are
raised as `generator.errors` exceptions; the CLI turns them into one line each and their exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import EXIT_OK
from generator.store.workspace import Client


@dataclass(frozen=True)
class Line:
    text: str
    tone: str = "info"  # ok, info, note, warn, error


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str | None = None
    numeric: frozenset[str] = frozenset()  # columns aligned right


@dataclass(frozen=True)
class AuditEntry:
    client: Client
    command: str
    result: str  # ok or failed
    detail: str = ""


@dataclass
class Result:
    shown: list[Line | Table] = field(default_factory=list)  # for people, on the terminal, in order
    output: str = ""  # for tools, on standard output as it is
    exit_code: int = EXIT_OK
    audit: list[AuditEntry] = field(default_factory=list)

    def say(self, text: str, tone: str = "info") -> Result:
        self.shown.append(Line(text, tone))
        return self

    def table(self, columns: list[str], rows: list[list[str]], title: str | None = None,
              numeric: tuple[str, ...] = ()) -> Result:
        self.shown.append(Table(columns, rows, title, frozenset(numeric)))
        return self

    def record(self, client: Client, command: str, result: str = "ok", detail: str = "") -> Result:
        self.audit.append(AuditEntry(client, command, result, detail[:300]))
        return self
