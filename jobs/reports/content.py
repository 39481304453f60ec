"""What a report says, per module, built once from a ``NormalizedSubmission`` for both renderings.

The module's declaration (``submissions.modules``) gives its sections and fields in form order,
with the reports' labels, its items, photos, signatures and titles. Every field of the module appears, empty or not; fields a historical
shape carried that the module does not list land in "Other details", so nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from jobs.reports.images import PreparedImage, ReportImages
from submissions.legacy.records import NormalizedSubmission
from submissions.modules.names import Module
from submissions.modules.registry import declaration, declaration_or_none
from submissions.modules.types import DOCUMENT_MACHINERY_KEYS, FieldType, ModuleDeclaration, Photos

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReportLayout:
    """What the reports take from the module's declaration (``submissions.modules``): titles,
    sections and item columns with the reports' labels, signatures, and the yes/no fields."""

    title: str
    subtitle: str
    sheet_title: str
    sections: tuple[tuple[str, Fields], ...]
    items_title: str
    item_fields: Fields
    item_title_field: str
    signatures: tuple[tuple[str, str, str], ...]  # (role, label, field holding the person's name)
    photos_title: str
    yes_no: frozenset[str]

    @classmethod
    def of(cls, declared: ModuleDeclaration) -> ReportLayout:
        items = declared.items
        item_fields: Fields = ()
        if items is not None:
            number = ((items.number_key, "#"),) if items.number_key else ()
            item_fields = (*number, *((f.key, f.short_label) for f in items.fields))
        all_fields = [*declared.fields, *(items.fields if items is not None else ())]
        return cls(
            title=declared.report.title,
            subtitle=declared.report.subtitle,
            sheet_title=declared.report.sheet_title,
            sections=tuple(
                (section.title, tuple((f.key, f.short_label) for f in section.fields)) for section in declared.sections
            ),
            items_title=items.report_title if items is not None else "",
            item_fields=item_fields,
            item_title_field=items.title_field if items is not None else "",
            signatures=tuple((s.role, s.short_label, s.signer_field) for s in declared.signatures),
            photos_title=(declared.photos or Photos()).report_title,
            yes_no=frozenset(f.key for f in all_fields if f.type == FieldType.YES_NO),
        )


def layout_of(module: str) -> tuple[ReportLayout, str]:
    """The layout and the module's name; a module no longer declared reads as HVAC did."""
    declared = declaration_or_none(module) or declaration(Module.HVAC_MEP)
    return ReportLayout.of(declared), declared.name if declaration_or_none(module) else module


# Keys the document carries for the machinery, not for the reader.
_INTERNAL_KEYS = {*DOCUMENT_MACHINERY_KEYS, "module"}
SIGNATURE_ROLE_LABELS = {
    "technician": "Technician signature",
    "manager": "Manager signature",
    "inspector": "Inspector signature",
    "client": "Client signature",
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class PhotoView:
    reference: str
    number: int
    item: int | None
    image: PreparedImage | None


@dataclass(frozen=True)
class ItemView:
    number: int
    title: str
    rows: list[Row]
    values: dict[str, str]
    photos: list[PhotoView]


@dataclass(frozen=True)
class SignatureView:
    role: str
    label: str
    person: str
    present: bool  # a signature was recorded (even if its image is not available)
    image: PreparedImage | None


@dataclass
class ReportContent:
    submission_id: str
    job_id: str
    module: str
    module_name: str
    layout: ReportLayout
    generated_at: dt.datetime
    summary: list[Row]
    sections: list[Section]
    items: list[ItemView]
    item_fields: Fields
    general_photos: list[PhotoView]
    signatures: list[SignatureView]
    photo_count: int
    warnings: list[str] = field(default_factory=list)

    @property
    def all_photos(self) -> list[PhotoView]:
        return [photo for item in self.items for photo in item.photos] + self.general_photos


def display(key: str, value: Any, yes_no: Collection[str] = ()) -> str:
    """A field's value as shown to a reader: text, with a yes/no field's "True"/"False" as Yes/No."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if key in yes_no and text in ("True", "False"):
        return "Yes" if text == "True" else "No"
    return text


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize() or key


def _format_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def build_content(
    record: NormalizedSubmission,
    images: ReportImages,
    *,
    job_id: str,
    generated_at: dt.datetime,
) -> ReportContent:
    layout, module_name = layout_of(record.module)
    fields = record.fields
    yes_no = layout.yes_no

    sections: list[Section] = []
    listed: set[str] = set()
    for title, spec in layout.sections:
        rows = [Row(key, label, display(key, fields.get(key), yes_no)) for key, label in spec]
        listed.update(key for key, _ in spec)
        sections.append(Section(title, rows))
    other = [
        Row(key, _label(key), display(key, value, yes_no))
        for key, value in fields.items()
        if key not in listed and key not in _INTERNAL_KEYS and display(key, value, yes_no)
    ]
    if other:
        sections.append(Section("Other details", other))

    # Item field columns: the module's, then any extra keys an old shape carried.
    item_fields = list(layout.item_fields)
    known = {key for key, _ in item_fields}
    for item in record.items:
        for key in item.fields:
            if key not in known:
                known.add(key)
                item_fields.append((key, _label(key)))

    counter = 0
    items: list[ItemView] = []
    for index, item in enumerate(record.items):
        photos = []
        for reference in item.photos:
            counter += 1
            photos.append(PhotoView(reference, counter, index, images.get(reference)))
        values = {key: display(key, item.fields.get(key), yes_no) for key, _ in item_fields}
        heading = values.get(layout.item_title_field, "") if layout.item_title_field else ""
        items.append(
            ItemView(
                number=index + 1,
                title=f"Item {index + 1}" + (f": {heading}" if heading else ""),
                rows=[Row(key, label, values[key]) for key, label in item_fields if key != "item_number"],
                values=values,
                photos=photos,
            )
        )
    in_items = {reference for item in record.items for reference in item.photos}
    general = []
    for photo in record.photos:
        if photo.url in in_items:
            continue
        counter += 1
        general.append(PhotoView(photo.url, counter, None, images.get(photo.url)))

    signatures: list[SignatureView] = []
    by_role = {signature.role: signature for signature in record.signatures}
    roles = list(layout.signatures)
    layout_roles = {role for role, _, _ in roles}
    roles += [(role, SIGNATURE_ROLE_LABELS.get(role, _label(role)), "") for role in by_role if role not in layout_roles]
    for role, label, person_key in roles:
        ref = by_role.get(role)
        signatures.append(
            SignatureView(
                role=role,
                label=label,
                person=display(person_key, fields.get(person_key), yes_no) if person_key else "",
                present=ref is not None,
                image=images.get(ref.value) if ref is not None else None,
            )
        )

    summary = [
        Row("submission_id", "Submission", record.submission_id),
        Row("module", "Module", module_name),
        Row("site_name", "Site", record.site_name),
        Row("visit_date", "Visit date", record.visit_date.isoformat() if record.visit_date else ""),
        Row("created_at", "Submitted", _format_time(record.created_at)),
        Row("generated_at", "Report generated", _format_time(generated_at)),
        Row("job_id", "Job", job_id),
    ]
    if layout.item_fields or record.items:
        summary.append(Row("items", "Items", str(len(record.items))))
    summary.append(Row("photos", "Photos", str(counter)))

    return ReportContent(
        submission_id=record.submission_id,
        job_id=job_id,
        module=record.module,
        module_name=module_name,
        layout=layout,
        generated_at=generated_at,
        summary=summary,
        sections=sections,
        items=items,
        item_fields=tuple(item_fields),
        general_photos=general,
        signatures=signatures,
        photo_count=counter,
        warnings=list(record.warnings),
    )


def references_of(record: NormalizedSubmission) -> tuple[list[str], list[str]]:
    """Every photo reference (items first) and every signature reference of ``record``."""
    photos = [reference for item in record.items for reference in item.photos]
    in_items = set(photos)
    photos += [photo.url for photo in record.photos if photo.url not in in_items]
    return photos, [signature.value for signature in record.signatures]
