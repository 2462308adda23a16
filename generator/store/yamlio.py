"""YAML in and out: validation errors that name file, line and field; deterministic, atomic writes.

Reading keeps the parse tree so that a pydantic error location (`contacts.2.email`) can be mapped back
to the line it came from. Writing produces the same bytes for the same data (key order follows the
model, block style, no aliases) and replaces files atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from generator.errors import InputError
from generator.redact import find_secrets
from generator.store import guard

M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------------------------------
# Reading


# libyaml's C parser when PyYAML has it (about 10x faster on large snapshots); same node tree and marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe loading without implicit timestamps: dates stay text and the model parses them, so a
    wrong date gets the model's clear message instead of a YAML surprise."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Located:
    """Parsed YAML together with its node tree, for error locations."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Iterable[str | int]) -> int:
        """1-based line of the deepest node on `loc` that exists (the parent for a missing key)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def key_line(self, loc: tuple[str | int, ...]) -> int:
        """Line of the key itself (for unknown keys), falling back to its value's line."""
        parent = self.root
        for part in loc[:-1]:
            parent = _child(parent, part)
            if parent is None:
                return self.line_of(loc)
        if isinstance(parent, yaml.MappingNode):
            for key, _ in parent.value:
                if key.value == loc[-1]:
                    return key.start_mark.line + 1
        return self.line_of(loc)


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


# Limits on what a reader accepts, so a hostile or broken file gets a clear error instead of a hang:
# no file the tool reads is anywhere near these sizes, and no model nests this deep.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_DIGITS = 1000  # Python refuses to convert integers of more than 4,300 digits, with a message of its own


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, with one clear error for a missing file, a folder, an unreadable or oversized one."""
    try:
        with open(path, "rb") as handle:
            # read(n) sets n bytes aside first: ask for what the file holds (a pipe or a special file
            # reports 0), so that reading a small file does not cost the whole limit in memory
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, limit) + 1 if size else limit + 1)
    except FileNotFoundError:
        raise InputError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise InputError([f"{path}: is a folder; expected a file"]) from None
    except OSError as exc:
        raise InputError([f"{path}: cannot read it ({exc.strerror or exc})"]) from None
    if len(data) > limit:
        raise InputError([f"{path}: larger than {limit // (1024 * 1024)} MB; not a file this tool writes or reads"])
    return data


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file (a byte-order mark is dropped), with the line of the first byte that is not UTF-8."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError([f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None


def _check_tree(root: yaml.Node | None, path: Path) -> list[str]:
    """Duplicate keys, aliases and nesting depth, in one walk of the node tree (iterative: a deep file
    cannot exhaust the stack). An alias is refused rather than expanded: eight nested aliases in 300
    bytes expand to hundreds of millions of values."""
    problems: list[tuple[int, str]] = []
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, int, int]] = [(root, 1, root.start_mark.line + 1)] if root is not None else []
    while todo:
        node, depth, line = todo.pop()
        if id(node) in seen:  # the composer hands out the anchored node again for each alias
            return [f"{path}:{line}: YAML aliases (*name) are not accepted; write the value anchored on line "
                    f"{node.start_mark.line + 1} out in full"]
        seen.add(id(node))
        if depth > MAX_DEPTH:
            return [f"{path}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep"]
        children: list[tuple[yaml.Node, int, int]] = []
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                key_line = key.start_mark.line + 1
                if key.value in keys:
                    problems.append((key_line, f"{path}:{key_line}: key '{key.value}' appears twice (first on "
                                               f"line {keys[key.value]}); keep one of them"))
                keys.setdefault(key.value, key_line)
                children += [(key, depth + 1, key_line), (value, depth + 1, key_line)]
        elif isinstance(node, yaml.SequenceNode):  # an alias item carries its anchor's marks: use the list's
            children = [(item, depth + 1, node.start_mark.line + 1) for item in node.value]
        elif not node.style and len(node.value) > MAX_DIGITS and node.value.lstrip("+-").isdigit():
            return [f"{path}:{node.start_mark.line + 1}: a number of {len(node.value)} digits; at most "
                    f"{MAX_DIGITS} are read"]
        todo += reversed(children)
    return [message for _, message in sorted(problems, key=lambda p: p[0])]


def read_yaml(path: Path, text: str | None = None) -> Located:
    """Parse a YAML file; syntax errors, duplicate keys, aliases, excessive size or nesting become an
    InputError with the line."""
    if text is None:
        text = read_text(path)
    elif len(text) > MAX_FILE_BYTES:
        raise InputError([f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"])
    loader = _Loader(text)
    try:
        # Parse once: the node tree gives error lines, and the data is constructed from the same tree
        # once it passed the checks (nothing of a refused file is expanded).
        root = loader.get_single_node()
        problems = _check_tree(root, path)
        if problems:
            raise InputError(problems)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise InputError([f"{path}:{line}: YAML syntax: {what}"]) from None
    except yaml.YAMLError as exc:
        raise InputError([f"{path}: YAML syntax: {exc}"]) from None
    except (RecursionError, ValueError, OverflowError) as exc:  # a value the constructor cannot make
        raise InputError([f"{path}: a value cannot be read ({str(exc)[:200]})"]) from None
    finally:
        loader.dispose()
    return Located(path=path, data=data, root=root)


def field_name(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: dict, located: Located, model: type[BaseModel]) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = error["type"]
    if kind == "extra_forbidden":
        line = located.key_line(loc)
        known = _known_keys(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else (f"; expected one of: {', '.join(known)}" if known else "")
        return f"{located.path}:{line}: {field_name(loc)}: unknown key '{loc[-1]}'{hint}"
    line = located.line_of(loc)
    message = error["msg"]
    if kind == "missing":
        message = "this field is required but missing"
    elif kind.startswith("value_error"):
        message = message.removeprefix("Value error, ")
    got = error.get("input")
    shown = ""
    if kind not in ("missing",) and isinstance(got, (str, int, float, bool)) and not kind.startswith("value_error"):
        shown = " (got a value that looks like a secret)" if isinstance(got, str) and find_secrets(got) else f" (got {got!r})"
    return f"{located.path}:{line}: {field_name(loc)}: {message}{shown}"


def _known_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys a mapping at `loc` accepts, by walking the model's field annotations."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return []
        info = next((f for name, f in fields.items() if (f.alias or name) == part), None)
        if info is None:
            return []
        current = _model_in(info.annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None) or {}
    return [f.alias or name for name, f in fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validate(located: Located, model: type[M]) -> M:
    """Validate parsed YAML against a model; every problem names file:line: field."""
    try:
        return model.model_validate(located.data if located.data is not None else {})
    except ValidationError as exc:
        raise InputError([_describe(e, located, model) for e in exc.errors()]) from None


def load_model(path: Path, model: type[M]) -> M:
    return validate(read_yaml(path), model)


# --------------------------------------------------------------------------------------------------
# Writing


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    def ignore_aliases(self, data):  # identical sub-objects are written out, never as &anchors
        return True


def _str_presenter(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def prune(value: Any) -> Any:
    """Drop None and empty collections so files carry only what is known."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def model_to_yaml(obj: BaseModel) -> str:
    return dump_yaml(prune(obj.model_dump(mode="json", by_alias=True, exclude_defaults=False)))


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it. The temporary file is
    locked while it is written, so `switch.recover` removes it only when its writer is gone. Refused
    (guard.SecretLeak) if the text holds a secret found during this run."""
    guard.check(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
