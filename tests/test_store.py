"""The store layer: the one Git wrapper, the atomic directory switch, front matter, YAML limits,
snapshot migrations, caches, bundle verification and the files a client folder holds."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.errors import GitError, InputError, NotInGit
from generator.store import git
from generator.store.snapshot import snapshot_at
from generator.store.workspace import client

from .conftest import copy_demo

runner = CliRunner()
ENV = {"GIT_AUTHOR_NAME": "Maya", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "Maya",
       "GIT_COMMITTER_EMAIL": "m@x", "PATH": "/usr/bin:/bin"}


def run_git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=ENV)


@pytest.fixture
def repo(tmp_path):
    copy_demo(tmp_path)
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
        snapshot_at(c, "HEAD")
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
    c = client("demo", tmp_path)  # …which the next command repairs
    assert snapshot.load(c.snapshot_dir).workflow("n8n:Ord3rSync01").name == expected
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    c.build_dir.mkdir(parents=True)
    c.pdf_path.write_bytes(b"%PDF")
    assert all(name.startswith(("snapshot/", "exports/")) or "/" not in name
               for name, _ in bundle.contents(c, "{}"))


def test_leftovers_are_cleaned_but_a_running_writer_is_left_alone(tmp_path):
    from generator.commands import bundle
    from generator.store import switch
    from generator.store.yamlio import atomic_write

    copy_demo(tmp_path)
    folder = tmp_path / "clients" / "demo"
    exports = folder / "exports"
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
    c.build_dir.mkdir(parents=True)
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
