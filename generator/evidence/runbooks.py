"""Authored runbooks: Markdown files in `clients/<client>/runbooks/`, with an optional YAML header.

    ---
    title: Re-registering Shopify webhooks
    summary: After a store migration or app re-install.
    workflows: [n8n:Ord3rSync01]          # what the runbook is about…
    credentials: [n8n:cred-shopify]
    steps: ["n8n:Ord3rSync01#n1"]         # workflow ref # step id
    reviewed: 2026-11-24                  # walked through with the client (the close-out checklist)
    reviewed_by: Priya Nair
    ---
    # Re-registering Shopify webhooks
    …

A runbook is possibly stale when something it names changed in the snapshot after the runbook was
last edited (its last commit): a workflow renamed or removed, its trigger or credentials changed; a
credential renamed, removed or its scopes changed; a step renamed or removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from generator.errors import InputError
from generator.model import Credential, Snapshot, Workflow
from generator.store import frontmatter
from generator.store import git as history
from generator.store.snapshot import CredentialsFile, file_stem
from generator.store.yamlio import read_yaml, validate


class RunbookHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    summary: str | None = None
    workflows: list[str] = []
    credentials: list[str] = []
    steps: list[str] = []
    reviewed: date | None = None  # when it was last walked through with the client's team
    reviewed_by: str | None = None


@dataclass
class Runbook:
    path: Path
    page: str
    title: str
    summary: str | None
    header: RunbookHeader
    body: str
    changes: list[str] = field(default_factory=list)  # why it may be stale; empty when it is current


def load_authored(directory: Path) -> list[Runbook]:
    runbooks = []
    for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", path.stem):
            raise InputError([f"{path}: name runbook files with lower case letters, digits and dashes"])
        document = frontmatter.parse(path)
        header = validate(document.header, RunbookHeader) if document.header else RunbookHeader()
        text = document.body
        heading = re.search(r"^# (.+)$", text, re.M)
        title = header.title or (heading.group(1).strip() if heading else path.stem.replace("-", " ").capitalize())
        if not heading:
            text = f"# {title}\n\n{text}"
        runbooks.append(Runbook(path, f"runbooks/guide-{path.stem}.md", title, header.summary, header, text))
    return runbooks


def _old_workflow(revision: str, snapshot_dir: Path, ref: str) -> Workflow | None:
    platform, _, ident = ref.partition(":")
    path = snapshot_dir / "workflows" / platform / f"{file_stem(ident)}.yml"
    text = history.file_at(revision, path)
    try:
        return validate(read_yaml(path, text), Workflow) if text else None
    except InputError:
        return None  # written by an older schema: nothing reliable to compare


def _old_credentials(revision: str, snapshot_dir: Path) -> dict[str, Credential]:
    path = snapshot_dir / "credentials.yml"
    text = history.file_at(revision, path)
    try:
        found = validate(read_yaml(path, text), CredentialsFile).credentials if text else []
    except InputError:
        found = []
    return {c.ref: c for c in found}


def _credentials_of(workflow: Workflow) -> set[str]:
    return {s.credential for s in workflow.steps if s.credential}


def what_changed(runbook: Runbook, snapshot: Snapshot, snapshot_dir: Path, *, path: Path | None = None,
                 at: str | None = None) -> list[str]:
    """What changed since the runbook was last edited, in words; empty when nothing it names did.
    `path` is the runbook's file in the repository (when `runbook` was read from a copy) and `at` the
    revision judged (None: the working tree)."""
    revision = history.last_commit(path or runbook.path, at=at)
    if revision is None:
        return []  # not committed, or edited right now: it is as current as it gets
    changes = []
    wanted = list(dict.fromkeys(runbook.header.workflows + [s.partition("#")[0] for s in runbook.header.steps]))
    for ref in wanted:
        old, now = _old_workflow(revision, snapshot_dir, ref), snapshot.workflow(ref)
        if old is None:
            if now is None:
                changes.append(f"it names the workflow {ref}, which is not in the snapshot")
            continue
        if now is None:
            changes.append(f"the workflow “{old.name}” was removed")
            continue
        if old.name != now.name:
            changes.append(f"the workflow “{old.name}” was renamed to “{now.name}”")
        if old.trigger != now.trigger:
            changes.append(f"the trigger of “{now.name}” changed")
        if _credentials_of(old) != _credentials_of(now):
            changes.append(f"the credentials used by “{now.name}” changed")
        for step_ref in runbook.header.steps:
            if step_ref.partition("#")[0] != ref:
                continue
            step_id = step_ref.partition("#")[2]
            before, after = old.step(step_id), now.step(step_id)
            if before and not after:
                changes.append(f"the step “{before.name}” of “{now.name}” was removed")
            elif before and after and before.name != after.name:
                changes.append(f"the step “{before.name}” of “{now.name}” was renamed to “{after.name}”")
    if runbook.header.credentials:
        old_credentials = _old_credentials(revision, snapshot_dir)
        for ref in runbook.header.credentials:
            old, now = old_credentials.get(ref), snapshot.credential(ref)
            if old is None:
                if now is None:
                    changes.append(f"it names the credential {ref}, which is not in the snapshot")
                continue
            if now is None:
                changes.append(f"the credential “{old.name}” was removed")
            elif old.name != now.name:
                changes.append(f"the credential “{old.name}” was renamed to “{now.name}”")
            elif old.scopes != now.scopes:
                changes.append(f"the scopes of the credential “{now.name}” changed")
    return changes
