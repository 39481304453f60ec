"""The inspector forms, built from the module declarations (``submissions.modules``, docs/MODULES.md).

``module_forms(declaration, data, ...)`` gives a module's form (header fields, signatures, the
form's own photos, the idempotency key) and, when it has repeating items, their formset. Field
lists, labels, types, limits and required flags all come from the declaration; this file only
says how a declared field type becomes a Django field.

The server checks required fields, dates (``YYYY-MM-DD``, not in the future where declared),
numbers, choices and the declared item and photo counts. Photo fields hold the ids of photos
uploaded ahead (see ``submissions.uploads``); the forms check those ids belong to the inspector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory

from submissions.inspector.fields import (
    ClientKeyField,
    IsoDateField,
    NumberField,
    PhotoIdsField,
    SignatureField,
    TextField,
)
from submissions.inspector.selectors import Taxonomy, hvac_taxonomy
from submissions.modules.types import Field, FieldType, ModuleDeclaration, Photos, ReferenceData
from submissions.selectors import photos_waiting

PHOTO_IDS = "photo_ids"


def photos_per_item() -> int:
    return int(settings.INJAAZ_PHOTOS_PER_ITEM)


def form_field(declared: Field) -> forms.Field:
    """The Django field of a declared field. Values are cleaned to the strings ``form_data`` keeps."""
    common: dict[str, Any] = {"label": declared.label, "required": declared.required}
    if declared.help_text:
        common["help_text"] = declared.help_text
    if declared.default:
        common["initial"] = declared.default
    kind = declared.type
    if kind == FieldType.DATE:
        return IsoDateField(allow_future=declared.allow_future, **common)
    if kind in (FieldType.NUMBER, FieldType.DECIMAL):
        return NumberField(
            integer=kind == FieldType.NUMBER,
            decimal_places=declared.decimal_places,
            max_length=min(declared.max_length, 20),
            **common,
        )
    if kind == FieldType.YES_NO:
        return forms.BooleanField(**{**common, "required": False, "initial": declared.default == "True"})
    if kind == FieldType.CHOICE and declared.choices:
        return forms.ChoiceField(choices=[(value, value) for value in declared.choices], **common)
    if kind == FieldType.CHOICE and declared.choices_from == ReferenceData.HVAC_ASSET:
        return forms.ChoiceField(**common)  # choices set per request from the taxonomy
    widget: forms.Widget | type[forms.Widget] | None = None
    if kind == FieldType.LONG_TEXT:
        widget = forms.Textarea(attrs={"rows": declared.rows}) if declared.rows else forms.Textarea
    elif declared.input_type == "tel":
        widget = forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    if widget is not None:
        common["widget"] = widget
    return TextField(max_length=declared.max_length, **common)


class PhotosMixin:
    """Checks a form's photo ids against the inspector's waiting uploads and the declared counts."""

    user: Any
    replay_of: Any = None
    photos_declared: Photos | None = None

    def clean_photo_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data[PHOTO_IDS]  # type: ignore[attr-defined]
        found = photos_waiting(user=self.user, ids=ids, replay_of=self.replay_of)
        if len(found) != len(ids):
            raise forms.ValidationError(
                "A photo of this item is no longer available (already submitted or removed); add it again."
            )
        declared = self.photos_declared
        if declared is not None:
            if len(ids) < declared.min_count:
                raise forms.ValidationError(f"Add at least {declared.min_count} photos.", code="too_few")
            if declared.max_count is not None and len(ids) > declared.max_count:
                raise forms.ValidationError(f"At most {declared.max_count} photos here.", code="too_many")
        self.photos = [found[pk] for pk in ids]
        return ids


@dataclass(frozen=True)
class References:
    """The reference data a module's fields draw their choices from, loaded once per request."""

    taxonomy: Taxonomy | None = None

    @classmethod
    def load(cls, declaration: ModuleDeclaration) -> References:
        fields = [*declaration.fields, *(declaration.items.fields if declaration.items else ())]
        needs_taxonomy = any(f.choices_from is not None for f in fields)
        return cls(taxonomy=hvac_taxonomy() if needs_taxonomy else None)


def _keys_for(fields: tuple[Field, ...], source: ReferenceData) -> str | None:
    return next((f.key for f in fields if f.choices_from == source), None)


class DeclaredForm(PhotosMixin, forms.Form):
    """A form whose fields come from ``module_fields`` (set by the class factory)."""

    module_fields: tuple[Field, ...] = ()

    def __init__(
        self, *args: Any, user: Any = None, replay_of: Any = None, references: References | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.replay_of = replay_of
        self.references = references or References()
        self.photos: list[Any] = []
        self._offer_taxonomy()

    def _offer_taxonomy(self) -> None:
        taxonomy = self.references.taxonomy
        asset_key = _keys_for(self.module_fields, ReferenceData.HVAC_ASSET)
        system_key = _keys_for(self.module_fields, ReferenceData.HVAC_SYSTEM)
        if taxonomy is None or asset_key is None:
            return
        asset_field = self.fields[asset_key]
        assert isinstance(asset_field, forms.ChoiceField)
        asset_field.choices = [("", "Choose an asset"), *((name, name) for name in taxonomy)]
        if system_key is not None:
            # Without JavaScript the systems are grouped by asset; the script narrows them down.
            self.fields[system_key].widget = forms.Select(
                choices=[
                    ("", "Choose a system"),
                    *((asset, [(name, name) for name in systems]) for asset, systems in taxonomy.items()),
                ]
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_taxonomy(data)
        return data

    def _check_taxonomy(self, data: dict[str, Any]) -> None:
        """An item's system must be one of its asset's, and its description one listed for the
        system when the system lists any (matched without regard to case, stored as listed)."""
        taxonomy = self.references.taxonomy
        asset_key = _keys_for(self.module_fields, ReferenceData.HVAC_ASSET)
        system_key = _keys_for(self.module_fields, ReferenceData.HVAC_SYSTEM)
        description_key = _keys_for(self.module_fields, ReferenceData.HVAC_DESCRIPTION)
        if taxonomy is None or asset_key is None or system_key is None:
            return
        asset, system = data.get(asset_key), data.get(system_key)
        if not asset or not system:
            return
        systems = taxonomy.get(asset, {})
        if system not in systems:
            self.add_error(system_key, f"Choose one of the systems of {asset}.")
            return
        description = data.get(description_key) if description_key else None
        descriptions = systems[system]
        if descriptions and description and description_key:
            canonical = {text.casefold(): text for text in descriptions}
            if description.casefold() not in canonical:
                self.add_error(description_key, f"Choose one of the descriptions listed for {system}.")
            else:
                data[description_key] = canonical[description.casefold()]

    def values(self) -> dict[str, str]:
        """The declared fields' cleaned values as ``form_data`` keeps them (strings; yes/no "True"/"False")."""
        data = self.cleaned_data
        found: dict[str, str] = {}
        for declared in self.module_fields:
            value = data.get(declared.key)
            if declared.type == FieldType.YES_NO:
                found[declared.key] = "True" if value else "False"
            else:
                found[declared.key] = str(value or "").strip()
        return found


class InspectionForm(DeclaredForm):
    """A module's form: its header fields, signatures, the form's own photos and the client's
    idempotency key. ``replay_of``: the submission this form's key already created (a retried
    submit), whose photos the form may name again."""

    declaration: ModuleDeclaration

    def signatures(self) -> dict[str, Any]:
        """Document key → the drawn signature (``SignatureInput``) or ``None``."""
        return {s.key: self.cleaned_data.get(s.form_field) for s in self.declaration.signatures}

    def tabs(self) -> list[tuple[str, list[tuple[str, list[forms.BoundField]]]]]:
        """(tab title, [(section title, bound fields)]) in form order."""
        return [
            (title, [(section.title, [self[f.key] for f in section.fields]) for section in sections])
            for title, sections in self.declaration.tabs
        ]

    def signature_fields(self) -> list[forms.BoundField]:
        return [self[s.form_field] for s in self.declaration.signatures]


class ItemForm(DeclaredForm):
    """One repeating item of a module (an HVAC item, a Civil work row)."""


def _signature_field(label: str, required: bool) -> SignatureField:
    return SignatureField(
        label=label,
        required=required,
        error_messages={"required": f"{label} is required: sign in the box."},
    )


_FORM_CLASSES: dict[tuple[str, str], tuple[ModuleDeclaration, type[Any]]] = {}


def _cached(declaration: ModuleDeclaration, kind: str, build: Any) -> Any:
    key = (str(declaration.module), kind)
    cached = _FORM_CLASSES.get(key)
    if cached is None or cached[0] is not declaration:  # a test may declare a module again
        cached = (declaration, build(declaration))
        _FORM_CLASSES[key] = cached
    return cached[1]


def _build_form_class(declaration: ModuleDeclaration) -> type[InspectionForm]:
    attrs: dict[str, Any] = {
        "client_key": ClientKeyField(),
        **{f.key: form_field(f) for f in declaration.fields},
        "declaration": declaration,
        "module_fields": declaration.fields,
        "photos_declared": declaration.photos,
    }
    if declaration.photos is not None:
        attrs[PHOTO_IDS] = PhotoIdsField()
    for signature in declaration.signatures:
        attrs[signature.form_field] = _signature_field(signature.label, signature.required)
    return type(f"{declaration.module.title().replace('_', '')}Form", (InspectionForm,), attrs)


def _build_formset_class(declaration: ModuleDeclaration) -> type[BaseFormSet]:
    items = declaration.items
    assert items is not None
    attrs: dict[str, Any] = {
        **{f.key: form_field(f) for f in items.fields},
        "module_fields": items.fields,
        "photos_declared": items.photos,
    }
    if items.photos is not None:
        attrs[PHOTO_IDS] = PhotoIdsField()
    item_form = type(f"{declaration.module.title().replace('_', '')}ItemForm", (ItemForm,), attrs)
    noun = items.item_label.lower()
    messages = {
        "too_few_forms": f"Add at least {items.min_count} {noun}{'s' if items.min_count != 1 else ''}.",
        "too_many_forms": f"At most {items.max_count} {noun}s.",
    }
    base = type("DeclaredItemsFormSet", (BaseFormSet,), {"default_error_messages": messages})
    return formset_factory(
        item_form,
        formset=base,
        extra=0 if items.min_count else 1,
        min_num=items.min_count,
        validate_min=items.min_count > 0,
        max_num=items.max_count,
        validate_max=True,
    )


def form_class(declaration: ModuleDeclaration) -> type[InspectionForm]:
    return _cached(declaration, "form", _build_form_class)


def formset_class(declaration: ModuleDeclaration) -> type[BaseFormSet] | None:
    if declaration.items is None:
        return None
    return _cached(declaration, "formset", _build_formset_class)


def module_forms(
    declaration: ModuleDeclaration,
    data: Any | None,
    *,
    user: Any,
    replay_of: Any = None,
    initial: dict[str, Any] | None = None,
    references: References | None = None,
) -> tuple[InspectionForm, BaseFormSet | None]:
    """The module's form and its items' formset (``None`` without items), bound to ``data``."""
    references = references if references is not None else References.load(declaration)
    form = form_class(declaration)(data, initial=initial, user=user, replay_of=replay_of, references=references)
    formset_type = formset_class(declaration)
    formset = None
    if formset_type is not None and declaration.items is not None:
        formset = formset_type(
            data,
            prefix=declaration.items.prefix,
            form_kwargs={"user": user, "replay_of": replay_of, "references": references},
        )
    return form, formset


def kept_items(formset: BaseFormSet | None) -> list[ItemForm]:
    """The items the inspector filled in (an untouched extra item is ignored)."""
    if formset is None:
        return []
    return [form for form in formset.forms if form.has_changed() and form.cleaned_data]
