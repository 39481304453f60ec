"""HVAC & MEP inspection: the site, then items (asset, system, description, photos), two signatures."""

from __future__ import annotations

from submissions.modules.names import Module
from submissions.modules.types import (
    DocumentShape,
    Field,
    FieldType,
    Items,
    ModuleDeclaration,
    Photos,
    ReferenceData,
    Report,
    Section,
    Signature,
)

DECLARATION = ModuleDeclaration(
    module=Module.HVAC_MEP,
    name="HVAC & MEP",
    title="HVAC & MEP inspection",
    url_prefix="hvac-mep",
    sections=(
        Section(
            "Site information",
            (
                Field("site_name", "Site name", required=True),
                Field("visit_date", "Visit date", FieldType.DATE, required=True, allow_future=False),
            ),
        ),
    ),
    items=Items(
        key="items",
        prefix="items",
        label="Items",
        item_label="Item",
        report_title="Inspection items",
        fields=(
            Field("asset", "Asset", FieldType.CHOICE, required=True, choices_from=ReferenceData.HVAC_ASSET),
            Field(
                "system",
                "System",
                FieldType.CHOICE,
                required=True,
                max_length=100,
                choices_from=ReferenceData.HVAC_SYSTEM,
            ),
            Field("description", "Description", required=True, choices_from=ReferenceData.HVAC_DESCRIPTION),
        ),
        title_field="asset",
        min_count=1,
        photos=Photos(),
        legacy_numbered="item_{index}_{key}",
    ),
    signatures=(
        Signature(
            "tech_signature",
            "Technician signature",
            role="technician",
            required=True,
            read_keys=("tech_signature", "tech_signature_data"),
        ),
        Signature(
            "opMan_signature",
            "Operations manager signature",
            role="manager",
            field="opman_signature",
            read_keys=("opMan_signature", "opman_signature", "opManSignatureData"),
        ),
    ),
    site_name_keys=("site_name",),
    visit_date_key="visit_date",
    report=Report(title="HVAC & MEP Inspection Report", subtitle="Site visit", sheet_title="HVAC MEP Inspection"),
    document=DocumentShape(
        id_key="submission_id", time_key="timestamp", written="hvac_submit_with_urls", read=("hvac_submit",)
    ),
    submit_label="Submit inspection",
)
