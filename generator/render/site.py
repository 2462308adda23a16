"""MkDocs (Material) site from `build/<client>/docs/` — the only module that knows about MkDocs.

The build runs in-process in strict mode: any broken link, anchor or missing page fails it.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from generator.errors import InputError
from generator.render import warnings_from
from generator.store import guard


class SiteError(InputError):
    """The output would have broken references (usually a link or image in authored Markdown): exit 2."""


def load(config_file: Path, **overrides):
    return load_config(str(config_file), strict=True, **overrides)


def build_site(config_file: Path, source_date_epoch: int) -> None:
    """Build the site next to `config_file`; raise SiteError naming every warning MkDocs gave."""
    # MkDocs stamps the sitemap with the build date; pin it to the snapshot's time so the same
    # input gives the same output.
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    with warnings_from("mkdocs") as warnings:
        try:
            config = load(config_file)
            build(config)
        except (Abort, ConfigurationError) as exc:
            detail = "\n  ".join(warnings) or str(exc)
            raise SiteError(f"the site build failed (MkDocs strict mode):\n  {detail}") from None
    try:  # MkDocs wrote the site itself: it is checked whole, and removed if it holds a secret
        guard.check_tree(Path(config["site_dir"]))
    except guard.SecretLeak:
        import shutil

        shutil.rmtree(config["site_dir"], ignore_errors=True)
        raise
