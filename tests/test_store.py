"""The store layer: the one Git wrapper, the atomic directory switch, front matter, YAML limits,
snapshot migrations, caches, bundle verification and the files a client folder holds."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.errors import GitError, InputError, NotInGit
from generator.evidence import gather
from generator.store import git
from generator.store.workspace import client

from .conftest import copy_demo

runner = CliRunner()
ENV = {"GIT_AUTHOR_NAME": "Maya", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "Maya",
       "GIT_COMMITTER_EMAIL": "m@x", "PATH": "/usr/bin:/bin"}


def run_git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=ENV)


@pytest.fixture
def repo(tmp_path):
    copy_demo(tmp_path, history=False)  # the change log from the copy's own commits
    run_git(tmp_path, "init", "-q")
    run_git(tmp_path, "add", "-A")
    run_git(tmp_path, "commit", "-qm", "First sync")
    return tmp_path


# --------------------------------------------------------------------------------------------------
# Git


@pytest.mark.parametrize("argv", [
    ["diff", "demo", "--from=--output={target}"],
    ["diff", "demo", "--to=--output={target}"],
    ["health", "demo", "--against=--output={target}"],
])
def test_revision_arguments_are_never_options(repo, argv):
    target = repo / "precious.txt"
    target.write_text("keep me\n")
    argv = [a.format(target=target) for a in argv] + ["--root", str(repo)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "is not a Git revision" in result.output
    assert target.read_text() == "keep me\n"


def test_revision_is_resolved_to_a_commit(repo):
    folder = repo / "clients" / "demo"
    head = git.revision(folder, "HEAD")
    assert len(head) == 40 and git.revision(folder, head[:8]) == head
    tree = git.run(folder, "rev-parse", "HEAD^{tree}").strip()
    for bad in ("nope", tree, "HEAD~5", "", "a\nb"):
        with pytest.raises(GitError):
            git.revision(folder, bad)
    assert issubclass(GitError, InputError)  # exit 2: the user's revision


def test_outside_git_is_said_explicitly(tmp_path):
    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    with pytest.raises(NotInGit):
        git.run(c.dir, "log", "-1")
    assert c.revision() == "not in Git"
    assert git.last_commit(c.config_path) is None and git.last_commits(c.dir) == {}
    assert git.file_at("HEAD", c.config_path) is None
    with pytest.raises(GitError, match="no snapshot of demo at HEAD"):
        gather(c, "HEAD")
    result = runner.invoke(app, ["diff", "demo", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "not in a Git repository" in result.output


def test_revision_label_and_file_at(repo):
    c = client("demo", repo)
    assert len(c.revision()) >= 7 and "uncommitted" not in c.revision()
    (c.dir / "audit.log").write_text("{}\n")  # the audit log is not a data change
    assert "uncommitted" not in c.revision()
    c.config_path.write_text(c.config_path.read_text() + "\n")
    assert c.revision().endswith(" + uncommitted changes")
    assert git.file_at("HEAD", c.snapshot_dir / "meta.yml").startswith("taken:")
    assert git.file_at("HEAD", c.snapshot_dir / "workflows" / "gone" / "x.yml") is None  # folder gone too


# --------------------------------------------------------------------------------------------------
# The atomic switch

KILLED_SAVE = """
import os, signal, sys
from pathlib import Path
from generator.store import snapshot, switch
from generator.store.workspace import client

step, mode, root = sys.argv[1:]
if mode == "fallback":
    switch._renameat2 = None  # as on a filesystem without RENAME_EXCHANGE
def die(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
switch.hook = die
if step == "writing":  # killed half way through writing the staging folder
    written = []
    real = snapshot.atomic_write
    def write(path, text):
        written.append(path)
        if len(written) == 5:
            die("writing")
        real(path, text)
    snapshot.atomic_write = write
c = client("demo", Path(root))
snap = snapshot.load(c.snapshot_dir)
snap.workflow("n8n:Ord3rSync01").name = "NEW NAME"
snapshot.save(snap, c.snapshot_dir)
"""

OLD_NAME = "Shopify orders → NetSuite sales orders"


@pytest.mark.parametrize(("mode", "step", "expected"), [
    ("exchange", "writing", OLD_NAME), ("exchange", "staged", OLD_NAME), ("exchange", "exchanged", "NEW NAME"),
    ("fallback", "writing", OLD_NAME), ("fallback", "staged", OLD_NAME), ("fallback", "retired", OLD_NAME),
    ("fallback", "renamed", "NEW NAME"), ("exchange", "none", "NEW NAME"), ("fallback", "none", "NEW NAME"),
])
def test_a_killed_snapshot_switch_leaves_old_or_new(tmp_path, mode, step, expected):
    import sys

    from generator.commands import bundle
    from generator.store import snapshot
    from tests.conftest import PROJECT

    copy_demo(tmp_path)
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, step, mode, str(tmp_path)], cwd=PROJECT,
                          capture_output=True, text=True)
    assert done.returncode == (0 if step == "none" else -9), done.stderr
    folder = tmp_path / "clients" / "demo"
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".snapshot-")]
    assert bool(leftovers) == (step != "none")  # the kill left something to clean up
    if step == "retired":
        assert not (folder / "snapshot").exists()  # the one instant with neither in place…
    validated = runner.invoke(app, ["validate", "demo", "--root", str(tmp_path)])  # …which the next command repairs
    assert validated.exit_code == 0, validated.output
    c = client("demo", tmp_path)
    assert snapshot.load(c.snapshot_dir).workflow("n8n:Ord3rSync01").name == expected
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    c.build_dir.mkdir(parents=True, exist_ok=True)  # validate replayed the recorded history there
    c.pdf_path.write_bytes(b"%PDF")
    assert all(name.startswith(("snapshot/", "exports/")) or "/" not in name
               for name, _ in bundle.contents(c, "{}"))


def test_leftovers_are_cleaned_but_a_running_writer_is_left_alone(tmp_path):
    import shutil

    from generator.commands import bundle
    from generator.store import switch
    from generator.store.yamlio import atomic_write

    copy_demo(tmp_path)
    folder = tmp_path / "clients" / "demo"
    exports = folder / "exports"
    shutil.rmtree(exports)  # the demo's own exports out of the way: make/ must be missing below
    (exports / ".n8n-new-dead1").mkdir(parents=True)
    (exports / ".n8n-new-dead1" / "x.json").write_text("{}")
    (exports / ".make-old-dead2").mkdir()  # a fallback switch cut between its renames: make/ is missing
    (exports / ".make-old-dead2" / "4417.json").write_text("{}")
    (folder / ".client.yml.abc123.tmp").write_text("half")
    (folder / "notes.tmp").write_text("the consultant's own file")
    running = switch.stage(exports / "zapier")  # another process's switch in progress (locked)
    (running / "1.json").write_text("{}")
    c = client("demo", tmp_path)
    assert sorted(p.name for p in exports.iterdir()) == [running.name, "make"]
    assert (exports / "make" / "4417.json").read_text() == "{}"
    assert not (folder / ".client.yml.abc123.tmp").exists() and (folder / "notes.tmp").exists()
    c.build_dir.mkdir(parents=True, exist_ok=True)  # validate replayed the recorded history there
    c.pdf_path.write_bytes(b"%PDF")
    assert not [n for n, _ in bundle.contents(c, "{}") if "/." in n or n.startswith(".")]
    switch.switch(running, exports / "zapier")
    assert (exports / "zapier" / "1.json").exists() and not running.exists()
    atomic_write(folder / "x.yml", "a: 1\n")
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == ["notes.tmp"]


def test_a_failed_write_leaves_the_folder_untouched(tmp_path):
    from generator.store import switch

    target = tmp_path / "docs"
    target.mkdir()
    (target / "old.md").write_text("old")
    with pytest.raises(RuntimeError), switch.replacing(target) as staging:
        (staging / "new.md").write_text("new")
        raise RuntimeError("template failed")
    assert [p.name for p in tmp_path.iterdir()] == ["docs"] and (target / "old.md").exists()
    with switch.replacing(target) as staging:
        (staging / "new.md").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.md"] and [p.name for p in tmp_path.iterdir()] == ["docs"]


# --------------------------------------------------------------------------------------------------
# Reading files: YAML limits, front matter, the audit log, client.yml


def alias_bomb(levels: int = 8) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefghij", "bcdefghijk"[:levels], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_depth_numbers_and_size_are_refused_with_file_and_line(tmp_path):
    import time

    from generator.store import yamlio

    path = tmp_path / "client.yml"
    cases = {
        alias_bomb(8): "client.yml:2: YAML aliases (*name) are not accepted",
        alias_bomb(9): "client.yml:2: YAML aliases",
        "x: 1\ny: " + "[" * 70 + "]" * 70 + "\n": "client.yml:2: nested more than 64 levels deep",
        "a:\n  b: " + "9" * 5001 + "\n": "client.yml:2: a number of 5001 digits",
        "a: 1\nb:\n  c: 2\n  c: 3\n": "client.yml:4: key 'c' appears twice (first on line 3)",
    }
    for text, expected in cases.items():
        path.write_text(text)
        started = time.monotonic()
        with pytest.raises(InputError) as caught:
            yamlio.read_yaml(path)
        assert time.monotonic() - started < 1
        assert str(caught.value).startswith(f"{tmp_path}/{expected}"), str(caught.value)
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError, match=r"client.yml:2: not UTF-8 text"):
        yamlio.read_yaml(path)
    path.write_bytes(b"a: 1\n" + b"#" * yamlio.MAX_FILE_BYTES)
    with pytest.raises(InputError, match=r"client.yml: larger than 16 MB"):
        yamlio.read_yaml(path)
    path.write_text("a: &x 1\nb: plain, with & and * inside\n")  # an anchor without an alias is harmless
    assert yamlio.read_yaml(path).data == {"a": 1, "b": "plain, with & and * inside"}


def test_front_matter_is_parsed_once_with_located_errors(tmp_path):
    from generator.evidence import incidents, runbooks
    from generator.store import frontmatter

    path = tmp_path / "page.md"
    document = frontmatter.parse(path, "---\ntitle: A\nsteps: [1]\n---\n\n# Body\n")
    assert document.header.data == {"title": "A", "steps": [1]} and document.body == "# Body\n"
    assert document.header.line_of(["steps"]) == 3  # the file's own line numbers
    assert frontmatter.parse(path, "# No header\n---\n").header is None
    with pytest.raises(InputError, match=r"page.md:1: the YAML header that starts here is never closed"):
        frontmatter.parse(path, "---\ntitle: A\n# Body\n")
    with pytest.raises(InputError, match=r"page.md:3: YAML aliases"):
        frontmatter.parse(path, "---\na: &a [1]\nb: *a\n---\nbody\n")

    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "fix-it.md").write_text("---\ntitle: Fix\nworkflows: [x]\nsurprise: 1\n---\n# Fix\n")
    with pytest.raises(InputError, match=r"fix-it.md:4: surprise: unknown key"):
        runbooks.load_authored(tmp_path / "runbooks")
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "INC-2026-001.md").write_bytes(b"---\nid: INC-2026-001\ntitle: \xff\n---\n")
    with pytest.raises(InputError, match=r"INC-2026-001.md:3: not UTF-8 text"):
        incidents.load(tmp_path / "incidents")


def test_a_damaged_audit_log_is_one_located_error(tmp_path):
    from generator.store import audit

    copy_demo(tmp_path)
    c = client("demo", tmp_path)
    audit.record(c, "check", "ok", "first")
    with c.audit_path.open("ab") as log:
        log.write(b'{"time": "2026-11-27T06:00:00Z", "user": "maya"')  # cut short by a crash
    audit.record(c, "check", "ok", "second")  # starts on a line of its own
    assert c.audit_path.read_text().splitlines()[-1].endswith('"detail": "second"}')
    for damage, expected in [
        (None, "audit.log:2: not a JSON record"),
        (b'{"time": "x"}\n', "audit.log:1: the record has no user, command, client, revision, result, detail"),
        (b'["a"]\n', "audit.log:1: expected a JSON object"),
        (b'{"time": "caf\xe9"}\n', "audit.log:1: not UTF-8 text"),
    ]:
        if damage is not None:
            c.audit_path.write_bytes(damage)
        result = runner.invoke(app, ["audit", "demo", "--root", str(tmp_path)])
        assert result.exit_code == 2 and f"{c.audit_path.parent}/{expected}" in result.output.replace("\n", ""), \
            result.output


def test_client_yml_that_is_a_folder_is_one_clear_error(tmp_path):
    copy_demo(tmp_path)
    config = tmp_path / "clients" / "demo" / "client.yml"
    config.unlink()
    config.mkdir()
    result = runner.invoke(app, ["validate", "demo", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "client.yml: is a folder; expected a file" in result.output, result.output


@pytest.mark.parametrize("slug", ["demo\n", "demo\nx", "Demo", "-demo", "de mo"])
def test_slugs_match_the_whole_string(tmp_path, slug):
    from generator.commands.init import scaffold
    from generator.config import ClientConfig

    copy_demo(tmp_path)
    with pytest.raises(InputError):
        client(slug, tmp_path)
    with pytest.raises(InputError):
        scaffold(tmp_path, slug, None)
    identity = ClientConfig.model_fields["client"].annotation
    identity.model_validate({"name": "Demo", "slug": "demo"})
    with pytest.raises(ValueError):
        identity.model_validate({"name": "Demo", "slug": slug})
    assert sorted(p.name for p in (tmp_path / "clients").iterdir()) == ["demo"]


# --------------------------------------------------------------------------------------------------
# Bundles


def _zip(path, members: dict, manifest: bytes | None = None):
    import hashlib
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if manifest is None:
            manifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in members.items()).encode()
        archive.writestr("MANIFEST.sha256", manifest)
    return path


def test_bundle_verify_rejects_unsafe_names_and_checks_every_member(tmp_path):
    from generator.commands import bundle

    good = _zip(tmp_path / "good.zip", {"client.yml": b"a", "site/index.html": b"b"})
    assert bundle.verify(good).ok and bundle.verify(good).checked == 2
    for name in ("../../etc/evil", "/etc/passwd", "site/../../x", "C:/Windows/x", "site\\..\\x"):
        hostile = _zip(tmp_path / "hostile.zip", {"client.yml": b"a", name: b"evil"})  # listed in the manifest
        result = bundle.verify(hostile)
        assert not result.ok and any(p.startswith(f"{name}: unsafe name") for p in result.problems), result.problems
    import hashlib
    digest = hashlib.sha256(b"a").hexdigest()
    twice = _zip(tmp_path / "twice.zip", {"client.yml": b"a"}, f"{digest}  client.yml\n{digest}  client.yml\n".encode())
    assert "MANIFEST.sha256:2: client.yml is listed twice" in bundle.verify(twice).problems
    result = runner.invoke(app, ["bundle", "--verify", str(_zip(tmp_path / "bin.zip", {"a": b"a"}, b"\xff\xfe\x00"))])
    assert result.exit_code == 2 and "MANIFEST.sha256 is not a text manifest" in result.output
    (tmp_path / "not.zip").write_bytes(b"PK nonsense")
    result = runner.invoke(app, ["bundle", "--verify", str(tmp_path / "not.zip")])
    assert result.exit_code == 2 and "not a readable ZIP" in result.output


# --------------------------------------------------------------------------------------------------
# Snapshot schema migrations


def _fixtures():
    from pathlib import Path

    return Path(__file__).parent / "fixtures" / "snapshots"


def test_a_snapshot_written_by_the_previous_layout_still_loads(tmp_path):
    import shutil

    from generator.store import migrations, snapshot

    old = snapshot.load(_fixtures() / "v1-c4fdfa6")
    assert old.meta.schema_version == migrations.CURRENT
    assert len(old.workflows) == 15 and old.workflow("n8n:Ord3rSync01").steps
    # v1 is the current layout: nothing to migrate yet, so it is written back byte for byte
    shutil.copytree(_fixtures() / "v1-c4fdfa6", tmp_path / "snapshot")
    snapshot.save(old, tmp_path / "snapshot")  # and it is written back unchanged
    for path in (_fixtures() / "v1-c4fdfa6").rglob("*.yml"):
        assert (tmp_path / "snapshot" / path.relative_to(_fixtures() / "v1-c4fdfa6")).read_text() == path.read_text()


def test_migrations_run_in_order_from_the_written_version(tmp_path, monkeypatch):
    import shutil

    from generator.store import migrations, snapshot

    def v1_to_v2(files):  # e.g. users.yml renamed to people.yml
        files["people.yml"] = {"people": files.pop("users.yml")["users"]}
        return files

    def v2_to_v3(files):  # …and back, with every workflow's description dropped
        files["users.yml"] = {"users": files.pop("people.yml")["people"]}
        for name, data in files.items():
            if name.startswith("workflows/"):
                data.pop("description", None)
        return files

    shutil.copytree(_fixtures() / "v1-c4fdfa6", tmp_path / "snapshot")
    monkeypatch.setattr(migrations, "CURRENT", 3)
    monkeypatch.setattr(migrations, "MIGRATIONS", {1: v1_to_v2, 2: v2_to_v3})
    loaded = snapshot.load(tmp_path / "snapshot")
    assert loaded.meta.schema_version == 3 and loaded.users and not any(w.description for w in loaded.workflows)
    snapshot.save(loaded, tmp_path / "snapshot")
    assert "schema_version: 3" in (tmp_path / "snapshot" / "meta.yml").read_text()

    meta = tmp_path / "snapshot" / "meta.yml"
    meta.write_text(meta.read_text().replace("schema_version: 3", "schema_version: 4"))
    with pytest.raises(InputError, match="schema_version 4 was written by a newer Handover"):
        snapshot.load(tmp_path / "snapshot")
    meta.write_text(meta.read_text().replace("schema_version: 4", "schema_version: two"))
    with pytest.raises(InputError, match="schema_version: expected a whole number"):
        snapshot.load(tmp_path / "snapshot")


# --------------------------------------------------------------------------------------------------
# Caches


def test_a_damaged_cache_entry_is_a_miss(tmp_path):
    from generator.store import cache

    entry = tmp_path / "c" / "key.json"
    cache.put(entry, b'{"a": 1}')
    assert cache.get(entry) == b'{"a": 1}' and [p.name for p in entry.parent.iterdir()] == ["key.json"]
    for damage in (entry.read_bytes()[:-3], b"", b'{"a": 1}', entry.read_bytes().replace(b"1", b"2")):
        entry.write_bytes(damage)
        assert cache.get(entry) is None and not entry.exists()
    assert cache.get(tmp_path / "missing") is None


def test_a_damaged_pdf_part_is_laid_out_again(tmp_path):
    from generator.render.pdf import Part, PartCache

    parts = PartCache(tmp_path)
    part = Part(b"%PDF-1.7 ... %%EOF", 2, [[595, 842]] * 2, {"p-a": [0, 1, 2]}, [[0, "A", 0, 1, 2]], [])
    parts.put("k", part)
    assert PartCache(tmp_path).has("k") and PartCache(tmp_path).get("k") == part
    pdf = tmp_path / "k.pdf"
    pdf.write_bytes(pdf.read_bytes()[:-4])  # cut short
    assert not PartCache(tmp_path).has("k")
    parts.put("k", part)
    (tmp_path / "k.json").write_bytes(b"not json at all")
    assert not PartCache(tmp_path).has("k")
    with pytest.raises(KeyError):
        PartCache(tmp_path).get("k")


def test_a_damaged_change_log_entry_is_compared_again(repo):
    from generator.changes import changelog
    from generator.store import snapshot

    c = client("demo", repo)
    snap = snapshot.load(c.snapshot_dir)
    snap.workflow("n8n:Ord3rSync01").name = "Orders v2"
    snapshot.save(snap, c.snapshot_dir)
    run_git(repo, "commit", "-qam", "Second sync")
    first = changelog.entries(c)
    assert [e.note for e in first] == ["Second sync", "First sync"]
    cached = sorted((c.build_dir / ".cache" / "changelog").iterdir())
    assert len(cached) == 2
    cached[0].write_bytes(cached[0].read_bytes()[:20])
    cached[1].write_bytes(b"handover-cache sha256:" + b"0" * 64 + b"\n{}")
    assert changelog.entries(c) == first
    assert all(p.read_bytes().startswith(b"handover-cache sha256:") for p in cached)


# --------------------------------------------------------------------------------------------------
# Spill: what a sync or an import holds until it saves


def test_spilled_workflows_read_back_as_written_and_in_the_snapshot_order(tmp_path):
    from generator.store import snapshot
    from generator.store.spill import Workflows

    folder = copy_demo(tmp_path) / "snapshot"
    loaded = snapshot.load(folder).workflows
    spilled = Workflows(reversed(loaded))
    assert len(spilled) == len(loaded) and spilled[0] == loaded[-1] and spilled[-2:] == loaded[:2][::-1]
    assert list(spilled.ordered()) == loaded  # the snapshot's own order: by platform, then id
    assert spilled.find(loaded[3].ref) == loaded[3] and spilled.find("n8n:no-such") is None
    only_make = Workflows(spill=spilled.spill)
    only_make.take(spilled, lambda platform, ident: platform == "make")
    assert [w.ref for w in only_make] == [w.ref for w in reversed(loaded) if w.platform.value == "make"] != []
    spilled.append(loaded[0].model_copy(update={"id": "late"}))  # a later append is found too
    assert spilled.find(f"{loaded[0].platform.value}:late").name == loaded[0].name


def test_a_snapshot_loaded_spilled_is_the_same_snapshot_and_saves_the_same_files(tmp_path):
    from generator.store import snapshot
    from generator.store.spill import Workflows

    folder = copy_demo(tmp_path) / "snapshot"
    plain, spilled = snapshot.load(folder), snapshot.load(folder, spilled=True)
    assert isinstance(spilled.workflows, Workflows) and len(spilled.workflows) == len(plain.workflows)
    assert snapshot.render_files(spilled) == snapshot.render_files(plain)
    assert snapshot.same_files(spilled, plain)
    before = {p: p.read_bytes() for p in folder.rglob("*.yml")}
    snapshot.save(spilled, folder)
    assert {p: p.read_bytes() for p in folder.rglob("*.yml")} == before
