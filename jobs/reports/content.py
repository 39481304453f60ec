"""What a report says, per module, built once from a ``NormalizedSubmission`` for both renderings.

Each module lists its sections and fields in the order of its form (FORMAT.md §4), with the
labels inspectors know. Every field of the module appears, empty or not; fields a historical
shape carried that the module does not list land in "Other details", so nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jobs.reports.images import PreparedImage, ReportImages
from submissions.legacy.records import NormalizedSubmission

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ModuleLayout:
    title: str
    subtitle: str
    sheet_title: str
    sections: tuple[tuple[str, Fields], ...]
    items_title: str
    item_fields: Fields
    item_title_field: str
    signatures: tuple[tuple[str, str, str], ...]  # (role, label, field holding the person's name)
    photos_title: str = "Photos"


HVAC = ModuleLayout(
    title="HVAC & MEP Inspection Report",
    subtitle="Site visit",
    sheet_title="HVAC MEP Inspection",
    sections=(("Site information", (("site_name", "Site name"), ("visit_date", "Visit date"))),),
    items_title="Inspection items",
    item_fields=(("asset", "Asset"), ("system", "System"), ("description", "Description")),
    item_title_field="asset",
    signatures=(
        ("technician", "Technician signature", ""),
        ("manager", "Operations manager signature", ""),
    ),
)

CIVIL = ModuleLayout(
    title="Civil Works Report",
    subtitle="Site visit",
    sheet_title="Civil Works Report",
    sections=(
        (
            "Project information",
            (
                ("project_name", "Project name"),
                ("location", "Location"),
                ("visit_date", "Visit date"),
                ("developer_client", "Developer / client"),
                ("city_area", "City / area"),
                ("floor", "Floor"),
                ("inspector_name", "Inspector"),
                ("manager_name", "Manager"),
            ),
        ),
        (
            "Work",
            (
                ("description_of_work", "Description of work"),
                ("estimated_time", "Estimated time"),
                ("estimated_completion", "Estimated completion"),
            ),
        ),
    ),
    items_title="Work items",
    item_fields=(
        ("item_number", "#"),
        ("description", "Description"),
        ("quantity", "Quantity"),
        ("material", "Material (with brand)"),
        ("material_qty", "Material quantity"),
        ("price", "Price"),
        ("labour", "Labour (hours/day)"),
    ),
    item_title_field="description",
    signatures=(
        ("inspector", "Inspector signature", "inspector_name"),
        ("manager", "Manager approval signature", "manager_name"),
    ),
)

_FACILITY_COUNTS = (
    ("facility_ground_parking", "Ground parking"),
    ("facility_basement", "Basement"),
    ("facility_podium", "Podium"),
    ("facility_gym_room", "Gym room"),
    ("facility_swimming_pool", "Swimming pool"),
    ("facility_washroom_male", "Washroom (male)"),
    ("facility_washroom_female", "Washroom (female)"),
    ("facility_changing_room", "Changing room"),
    ("facility_play_kids_place", "Kids' play area"),
    ("facility_garbage_room", "Garbage room"),
    ("facility_floor_chute_room", "Floor chute room"),
    ("facility_staircase", "Staircase"),
    ("facility_floor_service_room", "Floor service room"),
    ("facility_cleaner_count", "Cleaners"),
)

CLEANING = ModuleLayout(
    title="Site Assessment Report",
    subtitle="Cleaning services",
    sheet_title="Assessment Report",
    sections=(
        (
            "Project & client details",
            (
                ("client_name", "Client name"),
                ("project_name", "Project name"),
                ("site_address", "Site address"),
                ("date_of_visit", "Date of visit"),
                ("key_person_name", "Key person"),
                ("contact_number", "Contact number"),
            ),
        ),
        (
            "Site count & current operations",
            (
                ("room_count", "Rooms"),
                ("current_team_size", "Current team size"),
                ("lift_count_total", "Lifts"),
                ("current_team_desc", "Current team"),
                ("facility_floor", "Floors"),
            ),
        ),
        ("Facility area counts", _FACILITY_COUNTS),
        (
            "Cleaning requirements & scope",
            (
                ("scope_offices", "Offices"),
                ("scope_toilets", "Toilets"),
                ("scope_hallways", "Hallways"),
                ("scope_kitchen", "Kitchen"),
                ("scope_exterior", "Exterior"),
                ("scope_special_care", "Special care"),
                ("deep_clean_required", "Deep clean required"),
                ("deep_clean_areas", "Deep clean areas"),
                ("waste_general", "General waste"),
                ("waste_recycling", "Recycling"),
                ("waste_hazardous", "Hazardous waste"),
                ("waste_hazardous_details", "Hazardous waste details"),
                ("restricted_access", "Restricted access"),
                ("pest_control", "Pest control"),
            ),
        ),
        (
            "Safety & staffing",
            (
                ("working_hours", "Working hours"),
                ("required_team_size", "Required team size"),
                ("site_access_requirements", "Site access requirements"),
                ("facility_equipment_condition", "Equipment condition"),
                ("required_equipment", "Required equipment"),
                ("facility_maintenance_notes", "Maintenance notes"),
                ("high_risk_areas", "High-risk areas"),
                ("suggested_safety_ppe", "Suggested safety PPE"),
            ),
        ),
        ("General comments", (("general_comments", "Comments"),)),
        ("Sign-off", (("assessor_name", "Assessor"), ("contact_name", "Contact person"))),
    ),
    items_title="",
    item_fields=(),
    item_title_field="",
    signatures=(
        ("technician", "Technician signature", "assessor_name"),
        ("client", "Contact person signature", "contact_name"),
    ),
    photos_title="Site photos",
)

LAYOUTS = {"hvac_mep": HVAC, "civil": CIVIL, "cleaning": CLEANING}
MODULE_NAMES = {"hvac_mep": "HVAC & MEP", "civil": "Civil works", "cleaning": "Cleaning assessment"}

# Keys the document carries for the machinery, not for the reader.
_INTERNAL_KEYS = {"base_url", "timestamp", "created_at", "submission_id", "id", "job_id", "module"}
_CHECKBOX_PREFIXES = ("scope_", "waste_")
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
    layout: ModuleLayout
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


def display(key: str, value: Any) -> str:
    """A field's value as shown to a reader: text, with checkbox strings as Yes/No."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if key.startswith(_CHECKBOX_PREFIXES) and text in ("True", "False"):
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
    layout = LAYOUTS.get(record.module, HVAC)
    fields = record.fields

    sections: list[Section] = []
    listed: set[str] = set()
    for title, spec in layout.sections:
        rows = [Row(key, label, display(key, fields.get(key))) for key, label in spec]
        listed.update(key for key, _ in spec)
        sections.append(Section(title, rows))
    other = [
        Row(key, _label(key), display(key, value))
        for key, value in fields.items()
        if key not in listed and key not in _INTERNAL_KEYS and display(key, value)
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
        values = {key: display(key, item.fields.get(key)) for key, _ in item_fields}
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
                person=display(person_key, fields.get(person_key)) if person_key else "",
                present=ref is not None,
                image=images.get(ref.value) if ref is not None else None,
            )
        )

    summary = [
        Row("submission_id", "Submission", record.submission_id),
        Row("module", "Module", MODULE_NAMES.get(record.module, record.module)),
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
        module_name=MODULE_NAMES.get(record.module, record.module),
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
