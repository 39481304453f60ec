"""Editing a document in review: the answers a person may change, and the new document a post makes.

Works on every module and shape without knowing them (the module declarations will replace the
labels): every scalar answer and every item's scalar answer is a text input; photos can be
removed from a version (they stay in storage for the versions that have them).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from review.diff import HIDDEN_KEYS, ITEM_KEYS, _label, module_labels

VALUE_MAX_LENGTH = 5000
PHOTO_KEYS = ("photos", "files")


@dataclass
class EditableField:
    name: str  # the input's name
    label: str
    value: str


@dataclass
class EditablePhoto:
    name: str  # the checkbox's name
    reference: Any


@dataclass
class EditableGroup:
    title: str
    fields: list[EditableField] = field(default_factory=list)
    photos: list[EditablePhoto] = field(default_factory=list)


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Where answers live: the document and, for the old wrapped shapes, its wrapper."""
    found = [document]
    for wrapper in ("data", "fields"):
        if isinstance(document.get(wrapper), dict):
            found.append(document[wrapper])
    return found


def _editable(key: str, value: Any) -> bool:
    if key in HIDDEN_KEYS or "signature" in key.lower() or key.startswith("photo_url_"):
        return False
    if isinstance(value, str) and value.startswith("data:"):
        return False
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def editable_groups(document: Any, *, module: str | None = None) -> list[EditableGroup]:
    labels = module_labels(module)
    if not isinstance(document, dict):
        return []
    head = EditableGroup("Details")
    items: list[EditableGroup] = []
    for index, container in enumerate(_containers(document)):
        for key, value in container.items():
            if key in ITEM_KEYS and isinstance(value, list):
                for number, item in enumerate(value, start=1):
                    if not isinstance(item, dict):
                        continue
                    group = EditableGroup(f"Item {number}")
                    for name, item_value in item.items():
                        if name in PHOTO_KEYS and isinstance(item_value, list):
                            group.photos += [
                                EditablePhoto(f"remove:{index}:{key}:{number}:{name}:{position}", reference)
                                for position, reference in enumerate(item_value)
                            ]
                        elif name != "item_number" and _editable(name, item_value):
                            group.fields.append(
                                EditableField(
                                    f"item:{index}:{key}:{number}:{name}", _label(name, labels), str(item_value)
                                )
                            )
                    items.append(group)
            elif key in PHOTO_KEYS and isinstance(value, list):
                head.photos += [
                    EditablePhoto(f"remove:{index}:{key}:0::{position}", reference)
                    for position, reference in enumerate(value)
                ]
            elif _editable(key, value):
                head.fields.append(EditableField(f"field:{index}:{key}", _label(key, labels), str(value)))
    return [head, *items]


def document_edited(document: dict[str, Any], data: Any) -> dict[str, Any]:
    """A copy of ``document`` with the posted answers put in and the ticked photos taken out.

    Only answers the page offered change; a value keeps its type when the new text still reads
    as one (a number stays a number).
    """
    edited = copy.deepcopy(document)
    containers = _containers(edited)
    removals: dict[tuple[int, str, int, str], set[int]] = {}
    for name in data:
        kind, _, rest = str(name).partition(":")
        parts = rest.split(":")
        try:
            if kind == "field" and len(parts) == 2:
                container = containers[int(parts[0])]
                if parts[1] in container and _editable(parts[1], container[parts[1]]):
                    container[parts[1]] = _typed(container[parts[1]], data.get(name))
            elif kind == "item" and len(parts) == 4:
                item = containers[int(parts[0])][parts[1]][int(parts[2]) - 1]
                if isinstance(item, dict) and parts[3] in item and _editable(parts[3], item[parts[3]]):
                    item[parts[3]] = _typed(item[parts[3]], data.get(name))
            elif kind == "remove" and len(parts) == 5:
                where = (int(parts[0]), parts[1], int(parts[2]), parts[3])
                removals.setdefault(where, set()).add(int(parts[4]))
        except (IndexError, KeyError, TypeError, ValueError):
            continue  # a name the page did not offer
    for (index, key, number, photo_key), positions in removals.items():
        try:
            holder = containers[index][key][number - 1] if number else containers[index]
            photos = holder[photo_key if number else key]
        except (IndexError, KeyError, TypeError):
            continue
        if isinstance(photos, list):
            kept = [entry for position, entry in enumerate(photos) if position not in positions]
            holder[photo_key if number else key] = kept
    return edited


def _typed(original: Any, posted: Any) -> Any:
    text = str(posted if posted is not None else "").replace("\x00", "").strip()[:VALUE_MAX_LENGTH]
    if isinstance(original, int) and not isinstance(original, bool):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(original, float):
        try:
            return float(text)
        except ValueError:
            return text
    return text
