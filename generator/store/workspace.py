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

from generator.config import SLUG, ClientConfig, load_client
from generator.errors import InputError

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
        return config

    def revision(self) -> str:
        """The Git revision of the client folder, for freshness labels ('not in Git' outside a repo)."""
        from generator.store import git

        return git.describe(self.dir)


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
