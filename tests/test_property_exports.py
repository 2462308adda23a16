"""Generated malformed n8n, Make and Zapier export files (hypothesis): each import either succeeds or is
refused with exit 2 naming the file — never a traceback, an internal error or a hang — and a refused
import leaves the snapshot as it was and no staging folder behind."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli import app

from .conftest import key_paths

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()
BASES = {
    "n8n": json.loads((FIXTURES / "n8n/orders-webhook.json").read_text()),
    "make": json.loads((FIXTURES / "make/lead-router.json").read_text(encoding="utf-8-sig")),
    "zapier": json.loads((FIXTURES / "zapier/Zapfile.json").read_text()),
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["={{ $json.x }}", "https://[YOUR-SITE.com]/x", "[/x]",
                                                           "sk_live_" + "a" * 24, "", "5"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)




PATHS = {platform: list(key_paths(base)) for platform, base in BASES.items()}
# Text-level damage json.dumps cannot produce: what careless or hostile files hold.
RAW = ["NaN", "-Infinity", "9" * 5001, '"\\ud800"', "[" * 10_000 + "]" * 10_000, "1e999"]


@st.composite
def broken(draw, platform: str) -> bytes:
    document = copy.deepcopy(BASES[platform])
    how = draw(st.sampled_from(["replace", "delete", "raw", "truncate", "top"]))
    if how == "top":
        return draw(st.sampled_from([b"5", b"null", b'"text"', b"[]", b"{}", b"[5]", b"true"]))
    path = draw(st.sampled_from(PATHS[platform]))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = "\0MARK\0" if how == "raw" else draw(values)
    text = json.dumps(document)
    if how == "raw":
        text = text.replace('"\\u0000MARK\\u0000"', draw(st.sampled_from(RAW)))
    if how == "truncate":
        text = text[:draw(st.integers(0, len(text) - 1))]
    return text.encode()


def _state(root: Path) -> dict:
    folder = root / "clients/acme"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != "audit.log"}


def _check(root: Path, platform: str, content: bytes) -> None:
    bad = root / f"bad-{platform}.json"
    bad.write_bytes(content)
    before = _state(root)
    started = time.monotonic()
    result = runner.invoke(app, ["import", "acme", platform, str(bad), "--root", str(root)])
    assert time.monotonic() - started < 20
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output.lower()
    if result.exit_code == 2:
        assert bad.name in " ".join(result.output.split()), result.output
        if "the others were imported" not in result.output:  # a partly bad file: its good workflows go in
            assert _state(root) == before
    leftovers = [p for p in (root / "clients/acme").rglob("*") if p.name.endswith(".tmp") or "-new-" in p.name]
    assert leftovers == []


def _client(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("prop")
    assert runner.invoke(app, ["init", "acme", "--root", str(root)]).exit_code == 0
    return root


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@SETTINGS
@given(content=broken("n8n"))
def test_broken_n8n_exports(tmp_path_factory, content):
    _check(_client(tmp_path_factory), "n8n", content)


@SETTINGS
@given(content=broken("make"))
def test_broken_make_blueprints(tmp_path_factory, content):
    _check(_client(tmp_path_factory), "make", content)


@SETTINGS
@given(content=broken("zapier"))
def test_broken_zapier_exports(tmp_path_factory, content):
    _check(_client(tmp_path_factory), "zapier", content)
