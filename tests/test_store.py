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
