"""The layout is the pipeline: a module imports only its own stage or earlier ones, and `check` loads
nothing of the rendering stack."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT, copy_demo

# Earlier stages first. A module may import from its own stage and any stage before it.
STAGES = ["base", "store", "connectors", "evidence", "checks", "changes", "render", "commands", "cli"]
BASE = {"generator", "generator.model", "generator.config", "generator.redact", "generator.errors",
        "generator.formats", "generator.platforms"}


def stage(module: str) -> str:
    if module in BASE:
        return "base"
    if module in ("generator.cli", "generator.__main__"):
        return "cli"
    part = module.split(".")[1]
    assert part in STAGES, f"{module} is in no stage; add its folder to STAGES (and to docs/architecture.md)"
    return part


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((PROJECT / "generator").rglob("*.py")):
        parts = list(path.relative_to(PROJECT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(path: Path) -> list[tuple[int, str]]:
    """Every `generator…` module imported anywhere in the file, lazy imports inside functions included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("generator")]
    return out


def test_no_module_imports_a_later_stage():
    known = modules()
    problems = []
    for module, path in known.items():
        mine = STAGES.index(stage(module))
        for line, name in imports(path):
            target = name if name in known else name.rpartition(".")[0]  # `from pkg import module` or a name
            if target not in known:
                continue
            if STAGES.index(stage(target)) > mine:
                problems.append(f"{path.relative_to(PROJECT)}:{line}: {stage(module)} imports {target} "
                                f"({stage(target)}, a later stage)")
    assert not problems, "\n".join(problems)


def test_every_folder_is_a_stage():
    folders = {p.name for p in (PROJECT / "generator").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(STAGES), folders - set(STAGES)


@pytest.mark.slow
def test_check_loads_no_rendering_stack(tmp_path):
    copy_demo(tmp_path)
    probe = (
        "import sys, json\n"
        "from generator.cli import app\n"
        "try:\n"
        "    app(['check', 'demo', '--root', sys.argv[1], '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, cwd=PROJECT,
                         timeout=120)
    loaded = set(json.loads(run.stderr.strip().splitlines()[-1]))
    assert json.loads(run.stdout), run.stderr  # the check itself ran
    assert not loaded & {"mkdocs", "material", "jinja2", "grandalf", "weasyprint", "markdown"}, \
        loaded & {"mkdocs", "material", "jinja2", "grandalf", "weasyprint", "markdown"}
