"""MkDocs (Material) site from `build/<client>/docs/` — the only module that knows about MkDocs.

The build runs in-process in strict mode: any broken link, anchor or missing page fails it.

Incremental: when the nav, the configuration and the set of files are those of the last successful
build, only pages whose Markdown changed are rendered again (MkDocs' dirty build, decided by content
hash instead of mtime). A page's HTML depends on nothing else then. What a skipped page gives the rest
of the build — its title and meta, its anchors and links (strict anchor checks) and its search entries
— comes from the last build's record, so the result is the same as a clean build's.
"""

from __future__ import annotations

import filecmp
import functools
import hashlib
import io
import json
import logging
import os
from importlib.metadata import version
from pathlib import Path

import jinja2
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError
from mkdocs.plugins import BasePlugin, event_priority

from generator import __version__
from generator.errors import InputError
from generator.render import warnings_from
from generator.store import cache, guard
from generator.store.workspace import BASE_MKDOCS

STATE_VERSION = "1"  # bump when what the record holds, or what a page's HTML depends on, changes


class SiteError(InputError):
    """The output would have broken references (usually a link or image in authored Markdown): exit 2."""


def load(config_file: Path, **overrides):
    """The site's configuration. A client's mkdocs.yml is plain YAML written by `pages.mkdocs_config`,
    and its nav thousands of lines on a large estate: the nav is read with libyaml and handed to MkDocs
    as an override, where MkDocs' own loader (pure Python, for its `!ENV` tags) took a sixth of a
    one-page rebuild's site build. The rest, a few lines and the `INHERIT`ed base, MkDocs reads itself."""
    try:
        data = yaml.load(config_file.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:  # not plain YAML (a tag of MkDocs'): MkDocs reads it whole, and says what is wrong
        return load_config(str(config_file), strict=True, **overrides)
    nav = data.pop("nav", None) if isinstance(data, dict) else None
    rest = io.BytesIO(yaml.safe_dump(data, allow_unicode=True).encode() if data else b"")
    rest.name = str(config_file)  # MkDocs resolves INHERIT against it
    return load_config(rest, config_file_path=str(config_file), strict=True,
                       **({"nav": nav} if nav is not None else {}), **overrides)


@functools.cache
def markdown_settings() -> tuple[list, dict]:
    """The Markdown extensions every client site is built with, and their settings: the base
    mkdocs.yml's, which a client's mkdocs.yml inherits and adds none to (`pages.mkdocs_config`).
    Read once per process, and without a client's nav (thousands of lines on a large estate)."""
    config = load(BASE_MKDOCS, docs_dir=str(BASE_MKDOCS.parent / "templates"))  # any folder: none is read
    return config.markdown_extensions, config.mdx_configs


def _site_key(config, config_file: Path) -> str:
    """What every page's HTML depends on besides its own Markdown: the configuration (nav included),
    the theme and its overrides, the tools' versions and the set of files (links are checked against it)."""
    digest = hashlib.sha256(f"{STATE_VERSION}|{__version__}|{version('mkdocs')}|{version('mkdocs-material')}".encode())
    digest.update(config_file.read_bytes() + BASE_MKDOCS.read_bytes())
    for folder in [Path(config.theme.custom_dir)] if config.theme.custom_dir else []:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    docs = Path(config.docs_dir)
    for path in sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()):
        digest.update(path.encode() + b"\0")
    return digest.hexdigest()


class _NoDirtyWarning(logging.Filter):
    """MkDocs warns about every dirty build (stale nav, links): ours is dirty only when they cannot be."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


logging.getLogger("mkdocs.commands.build").addFilter(_NoDirtyWarning())


def _state_path(config_file: Path) -> Path:
    return config_file.parent / ".cache" / "site.json"


class _Incremental(BasePlugin):
    """Skips pages whose Markdown is the same as in the last build and stands in for them."""

    def __init__(self, previous: dict):
        super().__init__()
        self.previous = previous  # src_uri → record of the last build
        self.records: dict[str, dict] = {}  # this build's, written by build_site once the build passed
        self.built: set[str] = set()
        self._seen = 0

    def on_config(self, config):
        theme, make_env = config.theme, config.theme.get_env
        entry = Path(config.config_file_path).parent / ".cache" / "theme-files.json"

        def get_env():
            env = make_env()
            env.list_templates = functools.partial(_theme_files, env.list_templates, theme.dirs, entry)
            return env

        theme.get_env = get_env
        return config

    def on_files(self, files, *, config):
        for file in files.documentation_pages():
            digest = hashlib.sha256(Path(file.abs_src_path).read_bytes()).hexdigest()
            old = self.previous.get(file.src_uri)
            fresh = old is not None and old["hash"] == digest and os.path.isfile(file.abs_dest_path)
            file.is_modified = (lambda: False) if fresh else (lambda: True)
            self.records[file.src_uri] = dict(old) if fresh else {"hash": digest}
        for file in files:  # drawings and assets are written afresh every build: copied only when their bytes changed
            if (not file.is_documentation_page() and file.abs_src_path and file.is_modified()
                    and os.path.isfile(file.abs_dest_path) and filecmp.cmp(file.abs_src_path, file.abs_dest_path, shallow=False)):
                file.is_modified = lambda: False
        return files

    def on_env(self, env, *, config, files):
        # The theme's templates compiled once, kept between builds (checked against their source):
        # compiling them is a third of a one-page change's site build.
        folder = Path(config.config_file_path).parent / ".cache" / "jinja-site"
        folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
        # Population is over: skipped pages get what a rendered page would carry.
        by_uri = {f.src_uri: f for f in files}
        for file in files.documentation_pages():
            page, record = file.page, self.records[file.src_uri]
            if page is None or page.markdown is not None:
                continue
            page.title, page.meta = record["title"], record["meta"]
            page.present_anchor_ids = set(record["anchors"])
            page.links_to_anchors = {by_uri[uri]: links for uri, links in record["links"].items() if uri in by_uri}
        return env

    @event_priority(-100)  # after the search plugin has indexed the page
    def on_page_context(self, context, *, page, config, nav):
        entries = _search_entries(config)
        self.records[page.file.src_uri].update({
            "title": page.title, "meta": page.meta, "anchors": sorted(page.present_anchor_ids or ()),
            "links": {to.src_uri: links for to, links in (page.links_to_anchors or {}).items()},
            "search": entries[self._seen:]})
        self._seen = len(entries)
        self.built.add(page.file.src_uri)
        return context

    @event_priority(100)  # before the search plugin writes its index: every page's entries, in page order
    def on_post_build(self, *, config):
        if (search := config.plugins.get("material/search")) is not None:
            search.search_index.entries = [entry for record in self.records.values() for entry in record.get("search", [])]


def _theme_files(list_templates, dirs: list[str], entry: Path, extensions=None, filter_func=None) -> list[str]:
    """The theme's files as MkDocs lists them (`list_templates`), kept between builds. MkDocs walks every
    theme folder and matches each file against a dozen patterns to find the static ones: Material's
    14,000 icons made that a fifth of a one-page rebuild's site build. Installed themes change only
    with their package's version; any other folder (our overrides) is listed again every time."""
    installed = {Path(m.__file__).parent.as_posix(): version(name)
                 for name, m in (("mkdocs", __import__("mkdocs")), ("mkdocs-material", __import__("material")))}
    key = [STATE_VERSION, extensions, getattr(filter_func, "__qualname__", None)]
    for folder in dirs:
        package = next((v for root, v in installed.items() if Path(folder).as_posix().startswith(root + "/")), None)
        key.append([folder, package] if package else
                   [folder, sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())])
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    stored = cache.get(entry)
    if stored is not None and (known := json.loads(stored)).get("key") == digest:
        return known["files"]
    files = list_templates(extensions=extensions, filter_func=filter_func)
    cache.put(entry, json.dumps({"key": digest, "files": files}).encode())
    return files


def _search_entries(config) -> list:
    search = config.plugins.get("material/search")
    return search.search_index.entries if search is not None else []


def build_site(config_file: Path, source_date_epoch: int, clean: bool = False) -> dict:
    """Build the site next to `config_file`; raise SiteError naming every warning MkDocs gave. Pages
    unchanged since the last successful build are not rendered again, unless `clean`.
    Returns {"pages": n, "rendered": m}."""
    # MkDocs stamps the sitemap with the build date; pin it to the snapshot's time so the same
    # input gives the same output.
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    state_path = _state_path(config_file)
    stored = cache.get(state_path)
    state_path.unlink(missing_ok=True)  # a failed build leaves no record: the next one is clean
    previous = json.loads(stored) if stored and not clean else {}
    with warnings_from("mkdocs") as warnings:
        try:
            config = load(config_file)
            key = _site_key(config, config_file)
            dirty = previous.get("key") == key
            plugin = _Incremental(previous.get("pages", {}) if dirty else {})
            config.plugins["handover/incremental"] = plugin
            build(config, dirty=dirty)
        except (Abort, ConfigurationError) as exc:
            detail = "\n  ".join(warnings) or str(exc)
            raise SiteError(f"the site build failed (MkDocs strict mode):\n  {detail}") from None
    site_dir = Path(config["site_dir"])
    try:  # MkDocs wrote the site itself: it is checked whole, and removed if it holds a secret
        guard.check_tree(site_dir)
    except guard.SecretLeak:
        import shutil

        shutil.rmtree(site_dir, ignore_errors=True)
        raise
    cache.put(state_path, json.dumps({"key": key, "pages": plugin.records}).encode())
    return {"pages": len(plugin.records), "rendered": len(plugin.built)}
