"""Compliance frameworks as data: `checks/frameworks/<framework>.yml` maps each requirement, with its name,
to the baseline controls (check ids) that give evidence for it. Adding a framework is adding a file.

Loaded and validated once: a requirement naming a check that does not exist is an error with the file
and line, so a renamed check cannot silently drop out of a framework.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field

from generator.errors import InputError
from generator.model import Strict
from generator.store.yamlio import read_yaml, validate

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"


class Requirement(Strict):
    id: str = Field(description="The framework's own reference, e.g. CC6.1, s24, A.8.13.")
    name: str = Field(description="What the requirement asks, in the framework's words (shortened).")
    checks: list[str] = Field(min_length=1, description="Baseline check ids that give evidence for it.")


class Framework(Strict):
    name: str = Field(description="How client.yml `compliance` names it, e.g. SOC 2.")
    title: str
    aliases: list[str] = Field(default=[], description="Other names client.yml may use for it.")
    requirements: list[Requirement] = Field(min_length=1)

    def names(self) -> set[str]:
        return {_key(n) for n in [self.name, *self.aliases]}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@cache
def frameworks(directory: Path = FRAMEWORKS_DIR) -> tuple[Framework, ...]:
    """Every framework file, validated against the model and the baseline's check ids."""
    from generator.checks import REGISTRY

    known = {c.id for c in REGISTRY}
    loaded, problems = [], []
    for path in sorted(directory.glob("*.yml")):
        located = read_yaml(path)
        framework = validate(located, Framework)
        for index, requirement in enumerate(framework.requirements):
            unknown = [c for c in requirement.checks if c not in known]
            if unknown:
                line = located.line_of(("requirements", index, "checks"))
                problems.append(f"{path}:{line}: requirement {requirement.id}: no such check {', '.join(unknown)}")
        loaded.append(framework)
    if problems:
        raise InputError(problems)
    return tuple(loaded)


def mapping(check_id: str) -> dict[str, tuple[str, ...]]:
    """Framework name → the requirements `check_id` gives evidence for."""
    out = {}
    for framework in frameworks():
        ids = tuple(r.id for r in framework.requirements if check_id in r.checks)
        if ids:
            out[framework.name] = ids
    return out


def in_scope(named: list[str]) -> list[Framework]:
    """The frameworks client.yml `compliance` names, in its order; every framework when it names none."""
    every = frameworks()
    chosen: dict[str, Framework] = {}
    for name in named:
        for framework in every:
            if _key(name) in framework.names():
                chosen.setdefault(framework.name, framework)
    return list(chosen.values()) if named else list(every)
