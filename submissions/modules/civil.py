"""Civil works report: the project, work rows (with photos), schedule and people, two signatures."""

from __future__ import annotations

from submissions.modules.names import Module
from submissions.modules.types import (
    DocumentShape,
    Field,
    FieldType,
    Items,
    JobResults,
    ModuleDeclaration,
    Photos,
    Report,
    Section,
    Signature,
)

DECLARATION = ModuleDeclaration(
    module=Module.CIVIL,
    name="Civil works",
    title="Civil works report",
    url_prefix="civil",
    sections=(
        Section(
            "Project information",
            (
                Field("project_name", "Project name", required=True),
                # The old UI's multipart form sent the location as location_name (FORMAT.md §4.2).
                Field("location", "Location", required=True, read_keys=("location", "location_name")),
                Field(
                    "visit_date",
                    "Visit date",
                    FieldType.DATE,
                    required=True,
                    allow_future=False,
                    read_keys=("date", "visit_date"),
                ),
                Field("developer_client", "Developer / client"),
                Field("city_area", "City / area"),
                Field("floor", "Floor"),
                Field("inspector_name", "Inspector name", report_label="Inspector"),
                Field("manager_name", "Manager name", report_label="Manager"),
            ),
        ),
        Section(
            "Work",
            (
                Field("description_of_work", "Description of work", FieldType.LONG_TEXT, max_length=5000),
                Field("estimated_time", "Estimated time", help_text="For example: 2 weeks"),
                Field("estimated_completion", "Estimated completion", FieldType.DATE),
            ),
        ),
    ),
    items=Items(
        key="work_items",
        prefix="work",
        label="Work items",
        item_label="Work item",
        report_title="Work items",
        fields=(
            Field("description", "Work description", required=True, max_length=1000, report_label="Description"),
            Field("quantity", "Quantity", FieldType.DECIMAL),
            Field("material", "Material required (with brand)", report_label="Material (with brand)"),
            Field("material_qty", "Material quantity", FieldType.DECIMAL),
            Field("price", "Price", FieldType.DECIMAL, decimal_places=2),
            Field("labour", "Labour needed (hours/day)", report_label="Labour (hours/day)"),
        ),
        title_field="description",
        min_count=1,
        number_key="item_number",
        photos=Photos(),
        legacy_arrays={
            "description": "work_desc[]",
            "quantity": "work_qty[]",
            "material": "material[]",
            "material_qty": "material_qty[]",
            "price": "price[]",
            "labour": "labour[]",
        },
    ),
    signatures=(
        # The inspector is the civil module's technician: their signature is required.
        Signature(
            "inspector_signature",
            "Inspector signature",
            role="inspector",
            required=True,
            signer_field="inspector_name",
            read_keys=("tech_signature", "inspector_signature"),
        ),
        Signature(
            "manager_signature",
            "Manager approval signature",
            role="manager",
            signer_field="manager_name",
            read_keys=("op_signature", "manager_signature"),
        ),
    ),
    site_name_keys=("project_name",),
    visit_date_key="visit_date",
    report=Report(title="Civil Works Report", subtitle="Site visit", sheet_title="Civil Works Report"),
    document=DocumentShape(
        id_key="id",
        time_key="created_at",
        written="civil_json",
        read=("civil_submit",),
        wrapper_keys=("fields",),
        job_results=JobResults.FILES,
    ),
    submit_label="Submit report",
)
