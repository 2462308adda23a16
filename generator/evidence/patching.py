"""Patching & updates: platform versions, updates available, and steps on older node or module versions.

A step is *behind* when the same app appears in the client's workflows at a newer node or module
version: the newest version in use is the reference, since the platforms do not publish which of
their versions are current for every node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.model import Snapshot, Step, Workflow


def version_key(version: str) -> tuple:
    """'4.2' < '4.10' < '5'; text parts compare after numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-+]", version) if p)


@dataclass(frozen=True)
class Behind:
    workflow: Workflow
    step: Step
    newest: str


def newest_versions(snapshot: Snapshot) -> dict[tuple[str, str], str]:
    """(platform, app) → the newest version any step of the client uses."""
    newest: dict[tuple[str, str], str] = {}
    for workflow in snapshot.workflows:
        for step in workflow.steps:
            if step.version:
                key = (workflow.platform.value, step.app)
                if key not in newest or version_key(step.version) > version_key(newest[key]):
                    newest[key] = step.version
    return newest


def behind(snapshot: Snapshot) -> list[Behind]:
    newest = newest_versions(snapshot)
    found = []
    for workflow in sorted(snapshot.workflows, key=lambda w: w.ref):
        for step in workflow.steps:
            top = newest.get((workflow.platform.value, step.app))
            if step.version and top and version_key(step.version) < version_key(top):
                found.append(Behind(workflow, step, top))
    return found
