"""Generated bad client.yml files (hypothesis): every one is refused in one clear line per problem, with
the file named and exit 2 — never a traceback, an internal error or a hang — and nothing is written."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli import app

from .conftest import DEMO, files, key_paths

runner = CliRunner()
BASE = yaml.safe_load((DEMO / "client.yml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=40), st.sampled_from(["", "2026-13-45", "15x", "-1", "null", "[/x]", "{{ a }}",
                                                           "sk_live_" + "a" * 24, "../../etc/passwd", "\u0000"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)




PATHS = list(key_paths(BASE))


@st.composite
def broken_configs(draw):
    """The demo's client.yml with a few keys replaced by arbitrary values, removed or misspelt."""
    import copy

    config = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent = config
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace", "delete", "rename"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[str(path[-1]) + draw(st.sampled_from(["s", "_", "X"]))] = parent.pop(path[-1])
        except (KeyError, IndexError, TypeError):
            continue
    return config


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=broken_configs())
def test_broken_client_yml_is_one_clear_error(tmp_path_factory, config):
    root = tmp_path_factory.mktemp("prop")
    folder = root / "clients" / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("audit.log"))
    (folder / "client.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    before = files(folder)
    started = time.monotonic()
    result = runner.invoke(app, ["validate", "demo", "--root", str(root)])
    assert time.monotonic() - started < 10
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "input_value=" not in result.output and "pydantic" not in result.output.lower()
    if result.exit_code == 2:
        for line in result.output.strip().splitlines():
            if line.startswith("error: "):
                assert str(folder / "client.yml") in line, line
    assert files(folder) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_as_client_yml(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("text")
    folder = root / "clients" / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("audit.log"))
    Path(folder / "client.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = runner.invoke(app, ["validate", "demo", "--root", str(root)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output and str(folder / "client.yml") in result.output
