"""Where things live: the project root, one client's folders, the templates.

Every command works on one client at a time and reads or writes only under `clients/<client>/` and
`build/<client>/`; this module is the one place those paths are made.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dotenv import dotenv_values

from generator.config import SLUG, ClientConfig
from generator.errors import InputError
from generator.redact import find_secrets
from generator.store.yamlio import field_name, read_yaml, validate

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent
# In a checkout (and an editable install) templates/ and mkdocs.yml sit beside the package; a wheel
# carries copies inside the package.
_BUNDLED = PACKAGE_DIR / "templates"
TEMPLATES_DIR = _BUNDLED if _BUNDLED.is_dir() else PROJECT_DIR / "templates"
BASE_MKDOCS = PACKAGE_DIR / "mkdocs.yml" if _BUNDLED.is_dir() else PROJECT_DIR / "mkdocs.yml"


def default_root() -> Path:
    """The folder holding `clients/`: $HANDOVER_ROOT, else the current folder, else the checkout."""
    if os.environ.get("HANDOVER_ROOT"):
        return Path(os.environ["HANDOVER_ROOT"]).resolve()
    cwd = Path.cwd()
    return cwd if (cwd / "clients").is_dir() else PROJECT_DIR


@dataclass(frozen=True)
class Client:
    root: Path
    slug: str

    @property
    def dir(self) -> Path:
        return self.root / "clients" / self.slug

    @property
    def config_path(self) -> Path:
        return self.dir / "client.yml"

    @property
    def snapshot_dir(self) -> Path:
        return self.dir / "snapshot"

    @property
    def runbooks_dir(self) -> Path:
        return self.dir / "runbooks"

    @property
    def audit_path(self) -> Path:
        return self.dir / "audit.log"

    @property
    def incidents_dir(self) -> Path:
        return self.dir / "incidents"

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / self.slug

    @property
    def docs_dir(self) -> Path:
        return self.build_dir / "docs"

    @property
    def site_dir(self) -> Path:
        return self.build_dir / "site"

    @property
    def pdf_path(self) -> Path:
        return self.build_dir / f"{self.slug}-handover.pdf"

    @cached_property
    def config(self) -> ClientConfig:
        config = load_client(self.config_path)
        if config.client.slug != self.slug:
            raise InputError(
                [f"{self.config_path}: client.slug is '{config.client.slug}' but the folder is "
                 f"'{self.slug}'; they must match"]
            )
        if config.client.logo:
            self._check_logo(config.client.logo)
        return config

    def _check_logo(self, logo: str) -> None:
        """The logo is a real image file inside this client's folder (no link leading out of it), and an
        SVG logo carries no script: it is copied into the site as it is."""
        where = f"{self.config_path}: client.logo"
        path = (self.dir / logo).resolve()
        if not path.is_relative_to(self.dir.resolve()):
            raise InputError([f"{where}: '{logo}' leads outside the client's folder"])
        if not path.is_file():
            raise InputError([f"{where}: no file '{logo}' in {self.dir}"])
        if path.stat().st_size > 2_000_000:
            raise InputError([f"{where}: '{logo}' is over 2 MB; use a smaller image"])
        head = path.read_bytes()
        looks = {".png": head.startswith(b"\x89PNG"), ".jpg": head.startswith(b"\xff\xd8"),
                 ".jpeg": head.startswith(b"\xff\xd8"), ".svg": b"<svg" in head[:4096].lower()}
        if not looks[path.suffix.lower()]:
            raise InputError([f"{where}: '{logo}' is not a {path.suffix.lstrip('.').upper()} image"])
        if path.suffix.lower() == ".svg" and re.search(rb"<script|\son[a-z]+\s*=|javascript:|<foreignobject", head, re.I):
            raise InputError([f"{where}: '{logo}' contains script or event handlers; use a plain SVG or a PNG"])

    def secret(self, name: str | None) -> str | None:
        """A key, webhook URL or password by the NAME client.yml gives for it: the environment first, then
        a `.env` in the client's folder, then one in the root (both kept out of Git). Never logged."""
        if not name:
            return None
        value = os.environ.get(name)
        for folder in (self.dir, self.root):
            if value:
                break
            dotenv = folder / ".env"
            if dotenv.is_file():
                value = dotenv_values(dotenv).get(name)
        return value.strip() if value else None

    def revision(self) -> str:
        """The Git revision of the client folder, for freshness labels ('not in Git' outside a repo)."""
        from generator.store import git

        return git.describe(self.dir)


def load_client(path: Path) -> ClientConfig:
    """client.yml, validated; every problem reported at once with file:line: field. A value that looks
    like a secret is refused: the file is committed, and its text reaches the client's pages."""
    located = read_yaml(path)
    config = validate(located, ClientConfig)  # first: the fields that name a secret's place say it best
    leaked = [f"{path}:{located.line_of(loc)}: {field_name(loc)}: looks like a secret ({found[0].kind}): "
              "client.yml is committed and shown to the client; keep keys in the environment variable "
              "the platform names (api_key_env, secret_env)"
              for loc, value in _strings(located.data) if (found := find_secrets(value, context=str(loc[-1])))]
    if leaked:
        raise InputError(leaked)
    return config


def _strings(node, loc: tuple = ()):
    """(key path, text) of every string value in a parsed document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*loc, index))
    elif isinstance(node, str) and loc:
        yield loc, node


def client(slug: str, root: Path | None = None) -> Client:
    if not re.fullmatch(SLUG, slug):
        raise InputError([f"'{slug}' is not a client name: use lower case letters, digits and dashes"])
    found = Client(root=root or default_root(), slug=slug)
    if not found.dir.is_dir():
        known = ", ".join(all_slugs(found.root)) or "none yet"
        raise InputError([f"no client '{slug}' in {found.root / 'clients'} (clients: {known}); "
                          f"create one with `handover init {slug}`"])
    recover(found)
    return found


def recover(found: Client) -> list[str]:
    """Repair what an interrupted sync, import or build left (see `store.switch`): the folders the tool
    switches (snapshot, export folders, docs) and writes temporary files into."""
    from generator.store import switch

    exports = found.dir / "exports"
    folders = [found.dir, found.incidents_dir, exports, found.build_dir, found.build_dir / ".cache"]
    for parent in (exports, found.build_dir / ".cache"):
        folders += [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")] if parent.is_dir() else []
    return [line for folder in folders for line in switch.recover(folder)]


def all_slugs(root: Path) -> list[str]:
    clients_dir = root / "clients"
    if not clients_dir.is_dir():
        return []
    return sorted(p.name for p in clients_dir.iterdir() if (p / "client.yml").is_file())
