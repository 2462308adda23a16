"""Every snapshot field a check or a page reads is filled from real data or declared hand-entered.

A field is *read* when its name is read as an attribute in the checks (`generator/checks/`), the
evidence they use (`generator/evidence/`) or the site's templates (`templates/site/*.j2`). It is
*filled* when a connector or importer (`generator/connectors/`) sets it: as a keyword when building
the model, in a `model_copy(update=…)`, or by assignment. Otherwise it must be marked in the model
with `entered_in(...)` (copied from client.yml on sync), naming a key client.yml really has.

Reads are matched by name (a template does not say which class it reads), so a name read anywhere
counts for every class that has a field of that name: stricter, never looser.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import BaseModel

from generator import config as config_module
from generator import model

ROOT = Path(__file__).resolve().parent.parent
READERS = [*sorted((ROOT / "generator" / "checks").rglob("*.py")), *sorted((ROOT / "generator" / "evidence").rglob("*.py"))]
TEMPLATES = sorted((ROOT / "templates" / "site").glob("*.j2"))
WRITERS = sorted((ROOT / "generator" / "connectors").rglob("*.py"))
JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.S)


def model_classes() -> dict[str, type[BaseModel]]:
    return {name: cls for name, cls in vars(model).items()
            if isinstance(cls, type) and issubclass(cls, model.Strict) and cls is not model.Strict}


def fields() -> dict[tuple[str, str], object]:
    return {(name, field): info for name, cls in model_classes().items() for field, info in cls.model_fields.items()}


def read_names() -> dict[str, set[str]]:
    """Attribute name → where it is read."""
    names: dict[str, set[str]] = {}
    for path in READERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                names.setdefault(node.attr, set()).add(str(path.relative_to(ROOT)))
    for path in TEMPLATES:
        for block in JINJA.findall(path.read_text()):
            block = re.sub(r"(['\"]).*?\1", "", block)  # not inside string literals
            for name in re.findall(r"\.([A-Za-z_]\w*)", block):
                names.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return names


def set_fields() -> tuple[set[tuple[str, str]], set[str]]:
    """(class, field) set by a constructor keyword (or `model_construct`'s); field names set by model_copy
    or assignment."""
    classes = model_classes()
    exact, by_name = set(), set()
    for path in WRITERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if func == "model_construct" and isinstance(node.func.value, ast.Name):  # Cls.model_construct(…)
                    func = node.func.value.id
                if func in classes:
                    exact |= {(func, kw.arg) for kw in node.keywords if kw.arg}
                if func == "model_copy":
                    for kw in node.keywords:
                        if kw.arg == "update" and isinstance(kw.value, ast.Dict):
                            by_name |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                by_name |= {t.attr for t in targets if isinstance(t, ast.Attribute)}
    return exact, by_name


def entered_in(info) -> str | None:
    extra = info.json_schema_extra
    return extra.get("entered_in") if isinstance(extra, dict) else None


def client_yml_has(where: str) -> bool:
    """`platforms[].failure_emails` → ClientConfig.platforms is a list of PlatformConfig, which has it."""
    cls = config_module.ClientConfig
    for part in where.split("."):
        key = part.removesuffix("[]")
        info = cls.model_fields.get(key)
        if info is None:
            return False
        inner = info.annotation
        while getattr(inner, "__args__", None) and not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            inner = next((a for a in inner.__args__ if isinstance(a, type) and issubclass(a, BaseModel)), None)
        cls = inner
    return True


def test_every_field_read_is_filled_or_entered():
    names = read_names()
    exact, by_name = set_fields()
    missing = []
    for (cls, field), info in sorted(fields().items()):
        if field not in names or info.deprecated:  # deprecated: only so older snapshots load (reading it warns)
            continue
        if (cls, field) in exact or field in by_name or entered_in(info):
            continue
        missing.append(f"{cls}.{field} (read in {', '.join(sorted(names[field]))})")
    assert not missing, ("read by checks or pages, but set by no connector and not marked entered_in:\n  "
                         + "\n  ".join(missing))


def test_hand_entered_fields_name_a_client_yml_key_and_are_copied():
    _, by_name = set_fields()
    marked = {(cls, field): entered_in(info) for (cls, field), info in fields().items() if entered_in(info)}
    assert marked, "the model marks the facts no platform reports"
    for (cls, field), where in marked.items():
        assert client_yml_has(where), f"{cls}.{field}: entered_in({where!r}) is not a client.yml key"
        assert field in by_name, f"{cls}.{field}: marked entered_in but no connector copies it from client.yml"


def test_the_scan_sees_reads_and_sets():
    """The scanners are not blind: known reads and sets are found, and a field nobody sets is reported."""
    names = read_names()
    assert {"service_account", "run_data_keep_days", "error_workflow", "keep_days"} <= names.keys()
    exact, by_name = set_fields()
    assert ("PlatformFacts", "version") in exact and ("Credential", "service_account") in exact
    assert "alerts_on_failure" in by_name
    assert ("RunDataSaving", "keep_days") not in exact and "keep_days" not in by_name  # read only for RetentionRule


def test_deprecated_fields_warn_when_read():
    """A field left only so older snapshots load is never read without a warning (the scan above skips it)."""
    import warnings

    deprecated = [(cls, field) for (cls, field), info in fields().items() if info.deprecated]
    assert ("User", "disabled") in deprecated and ("RunDataSaving", "keep_days") in deprecated
    user = model.User(platform="n8n", name="Dana", role="owner")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert user.disabled is False
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
