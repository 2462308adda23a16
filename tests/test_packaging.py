"""Everything the tool imports at run time is a runtime dependency: `pip install .` without extras works.

(`scripts/check-install.sh`, run by `make test`, proves it for real: a fresh venv, `pip install .`, then
`handover build demo`.)"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata

from .conftest import PROJECT


def imported_packages() -> set[str]:
    names = set()
    for path in (PROJECT / "generator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "generator" and n not in sys.stdlib_module_names}


def runtime_closure() -> set[str]:
    """The distributions `pip install .` brings: the runtime requirements and theirs, no extras."""
    def canon(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    seen: set[str] = set()
    todo = [canon(r) for r in _requirements("handover")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [canon(r) for r in _requirements(name)]
        except metadata.PackageNotFoundError:
            continue
    return seen


def _requirements(distribution: str) -> list[str]:
    out = []
    for requirement in metadata.requires(distribution) or []:
        name, _, marker = requirement.partition(";")
        if "extra ==" in marker:
            continue  # optional extras are not installed by a plain `pip install`
        out.append(re.split(r"[\s<>=!~\[(]", name.strip(), maxsplit=1)[0])
    return out


def test_every_imported_package_is_a_runtime_dependency():
    provided = metadata.packages_distributions()
    closure = runtime_closure()
    missing = {}
    for package in sorted(imported_packages()):
        distributions = {re.sub(r"[-_.]+", "-", d).lower() for d in provided.get(package, [])}
        assert distributions, f"{package} is imported but no installed distribution provides it"
        if not distributions & closure:
            missing[package] = sorted(distributions)
    assert not missing, f"imported at run time but not in [project] dependencies: {missing}"
