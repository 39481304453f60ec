"""What changed between two versions of a document, field by field, with the module's labels.

Both documents are flattened to ``path → (label, shown value)``: top-level answers, each item's
answers (``Item 2 · Description``), photo lists and signatures (compared by the file they name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from submissions.modules.registry import declaration_or_none, declarations

PHOTO_KEYS = ("photos", "photo_urls", "files")
# Keys the document carries for the machinery, not for the reader; the lists of items.
HIDDEN_KEYS = {"id", "submission_id", "job_id", "base_url", "timestamp", "created_at", "client_key"}
ITEM_KEYS = ("items", "work_items")


def _labels() -> dict[str, str]:
    """Every declared module's labels (the first module to declare a key names it)."""
    labels: dict[str, str] = {}
    for declared in declarations():
        for key, label in declared.labels().items():
            labels.setdefault(key, label)
    return labels


def _label(key: str, labels: dict[str, str]) -> str:
    return labels.get(key) or key.replace("_", " ").strip().capitalize()


@dataclass(frozen=True)
class Change:
    path: str
    label: str
    before: str
    after: str


def _unwrapped(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        return {}
    for wrapper in ("data", "fields"):  # the old cleaning and civil shapes
        if isinstance(document.get(wrapper), dict):
            document = {**document[wrapper], **{k: v for k, v in document.items() if k != wrapper}}
    return document


def _reference(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("url") or value.get("path") or "")
    text = str(value or "")
    return f"image ({len(text)} characters)" if text.startswith("data:") else text


def _photos(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return ""
    names = [_reference(entry).rsplit("/", 1)[-1] for entry in value]
    return f"{len(names)} photo{'s' if len(names) != 1 else ''}: " + ", ".join(names)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str | int | float):
        return str(value)
    return str(value)


def module_labels(module: str | None) -> dict[str, str]:
    """The module's own labels (its declaration), over the generic ones for keys it does not declare."""
    labels = _labels()
    declared = declaration_or_none(module)
    if declared is not None:
        labels.update(declared.labels())
    return labels


def flatten(document: Any, *, module: str | None = None) -> dict[str, tuple[str, str]]:
    labels = module_labels(module)
    flat: dict[str, tuple[str, str]] = {}
    for key, value in _unwrapped(document).items():
        if key in HIDDEN_KEYS:
            continue
        if key in ITEM_KEYS and isinstance(value, list):
            for number, item in enumerate(value, start=1):
                if not isinstance(item, dict):
                    continue
                for name, item_value in item.items():
                    if name == "item_number":
                        continue
                    label = f"Item {number} · {_label(name, labels)}"
                    shown = _photos(item_value) if name in PHOTO_KEYS else _shown(item_value)
                    flat[f"{key}.{number}.{name}"] = (label, shown)
        elif key in PHOTO_KEYS:
            flat[key] = (_label(key, labels), _photos(value))
        elif "signature" in key.lower():
            flat[key] = (_label(key, labels), _reference(value))
        elif not isinstance(value, dict | list):
            flat[key] = (_label(key, labels), _shown(value))
    return flat


def document_diff(before: Any, after: Any, *, module: str | None = None) -> list[Change]:
    """The fields whose shown value differs, in the order of the newer document."""
    old, new = flatten(before, module=module), flatten(after, module=module)
    changes = []
    for path in [*new, *[path for path in old if path not in new]]:
        label, after_value = new.get(path, (old.get(path, ("", ""))[0], ""))
        before_value = old.get(path, (label, ""))[1]
        if before_value != after_value:
            changes.append(Change(path=path, label=label, before=before_value, after=after_value))
    return changes
