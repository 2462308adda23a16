"""Reference pages written from the models themselves: `docs/client-yml.md`, `docs/snapshot-schema.md`.

    python -m generator.commands.schema_doc          # rewrite both
    python -m generator.commands.schema_doc --check  # exit 1 when they are stale (the test suite runs this)
"""

from __future__ import annotations

import sys
import typing
from enum import Enum

from pydantic import BaseModel

from generator.config import ClientConfig
from generator.model import RunStats, Workflow
from generator.store.snapshot import CredentialsFile, PlatformsFile, UsersFile
from generator.store.workspace import PROJECT_DIR


def _type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if args and origin is not None:
        names = [_type_name(a) for a in args]
        return names[0] if len(names) == 1 else " or ".join(names)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation)).replace("Annotated", "text")


def _models(model: type[BaseModel], seen: list) -> None:
    if model in seen:
        return
    seen.append(model)
    for field in model.model_fields.values():
        for candidate in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [candidate, *typing.get_args(candidate)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    _models(inner, seen)


def reference(title: str, intro: str, roots: list[type[BaseModel]]) -> str:
    models: list[type[BaseModel]] = []
    for root in roots:
        _models(root, models)
    lines = [f"# {title}", "", "<!-- Written by `python -m generator.commands.schema_doc` from the models; do not edit. -->", "", intro, ""]
    for model in models:
        lines += [f"## {model.__name__}", ""]
        doc = (model.__doc__ or "").strip().split("\n\n")[0]
        if doc and not doc.startswith("Base for"):
            lines += [" ".join(doc.split()), ""]
        lines += ["| Key | Type | Required | Description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            required = "yes" if field.is_required() else "no"
            description = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_name(field.annotation)} | {required} | {description} |")
        lines.append("")
    return "\n".join(lines)


PAGES = {
    "docs/client-yml.md": lambda: reference(
        "client.yml reference",
        "The engagement facts the consultant writes in `clients/<client>/client.yml`. Unknown keys are "
        "errors (with a did-you-mean); fields that name environment variables refuse values that look like secrets.",
        [ClientConfig],
    ),
    "docs/snapshot-schema.md": lambda: reference(
        "Snapshot schema",
        "Files under `clients/<client>/snapshot/`, written by the connectors: `meta.yml`; `platforms.yml` "
        "(PlatformsFile); `credentials.yml` (CredentialsFile); `users.yml` (UsersFile); "
        "`workflows/<platform>/<id>.yml` (Workflow, one per file); `runs/<platform>/<id>.yml` (RunStats). "
        "Workflows and credentials are referred to as `<platform>:<id>`. Timestamps are UTC, ISO 8601. "
        "Keys are written in the order below; volatile fields are never stored; a save replaces the whole "
        "folder in one step. `meta.yml` holds `taken` and `schema_version`; a snapshot written with an older "
        "schema version is migrated when it is read.",
        [Workflow, RunStats, PlatformsFile, CredentialsFile, UsersFile],
    ),
}


def main(argv: list[str]) -> int:
    stale = []
    for relative, make in PAGES.items():
        path, text = PROJECT_DIR / relative, make() + "\n"
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(relative)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
    for relative in stale:
        print(f"{relative} is stale: run `python -m generator.commands.schema_doc`")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
