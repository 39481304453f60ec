"""Cleaning assessment: five tabs of site facts and scope, site photos, two signatures."""

from __future__ import annotations

from submissions.modules.names import Module
from submissions.modules.types import (
    DocumentShape,
    Field,
    FieldType,
    JobResults,
    ModuleDeclaration,
    Photos,
    Report,
    Section,
    Signature,
)

PROJECT = "Project & facility"
SCOPE = "Cleaning & scope"
SAFETY = "Safety & staffing"
EVIDENCE = "Visual evidence"
SIGN_OFF = "Sign-off"


def _count(key: str, label: str, report_label: str = "") -> Field:
    return Field(key, label, FieldType.NUMBER, max_length=20, report_label=report_label)


def _area(key: str, label: str, report_label: str = "") -> Field:
    return Field(key, label, FieldType.LONG_TEXT, max_length=5000, rows=3, report_label=report_label)


def _check(key: str, label: str, report_label: str = "", default: str = "") -> Field:
    return Field(key, label, FieldType.YES_NO, report_label=report_label, default=default)


DECLARATION = ModuleDeclaration(
    module=Module.CLEANING,
    name="Cleaning assessment",
    title="Cleaning assessment",
    url_prefix="cleaning",
    sections=(
        Section(
            "Project & client details",
            (
                Field("client_name", "Client name", required=True),
                Field("project_name", "Project name", required=True),
                Field("site_address", "Site address", max_length=500),
                Field("date_of_visit", "Date of visit", FieldType.DATE, required=True, allow_future=False),
                Field("key_person_name", "Key person name", report_label="Key person"),
                Field("contact_number", "Contact number", max_length=40, input_type="tel"),
            ),
            tab=PROJECT,
        ),
        Section(
            "Site count & current operations",
            (
                _count("room_count", "Room count", "Rooms"),
                _count("current_team_size", "Current team size"),
                _count("lift_count_total", "Lifts (total)", "Lifts"),
                _area("current_team_desc", "Current team description", "Current team"),
                Field("facility_floor", "Floors", help_text="For example: G+10"),
            ),
            tab=PROJECT,
        ),
        Section(
            "Facility area counts",
            (
                _count("facility_ground_parking", "Ground parking"),
                _count("facility_basement", "Basements", "Basement"),
                _count("facility_podium", "Podiums", "Podium"),
                _count("facility_gym_room", "Gym rooms", "Gym room"),
                _count("facility_swimming_pool", "Swimming pools", "Swimming pool"),
                _count("facility_washroom_male", "Washrooms (male)", "Washroom (male)"),
                _count("facility_washroom_female", "Washrooms (female)", "Washroom (female)"),
                _count("facility_changing_room", "Changing rooms", "Changing room"),
                _count("facility_play_kids_place", "Kids' play areas", "Kids' play area"),
                _count("facility_garbage_room", "Garbage rooms", "Garbage room"),
                _count("facility_floor_chute_room", "Floor chute rooms", "Floor chute room"),
                _count("facility_staircase", "Staircases", "Staircase"),
                _count("facility_floor_service_room", "Floor service rooms", "Floor service room"),
                _count("facility_cleaner_count", "Cleaners"),
            ),
            tab=PROJECT,
        ),
        Section(
            "Cleaning requirements & scope",
            (
                _check("scope_offices", "Offices"),
                _check("scope_toilets", "Toilets"),
                _check("scope_hallways", "Hallways"),
                _check("scope_kitchen", "Kitchen"),
                _check("scope_exterior", "Exterior"),
                _check("scope_special_care", "Special care areas", "Special care"),
                Field(
                    "deep_clean_required",
                    "Deep clean required",
                    FieldType.CHOICE,
                    required=True,
                    choices=("No", "Yes"),
                    default="No",
                ),
                Field("deep_clean_areas", "Deep clean areas", max_length=1000),
                _check("waste_general", "General waste", default="True"),
                _check("waste_recycling", "Recycling"),
                _check("waste_hazardous", "Hazardous waste"),
                Field("waste_hazardous_details", "Hazardous waste details", max_length=1000),
                _area("restricted_access", "Restricted access"),
                _area("pest_control", "Pest control"),
            ),
            tab=SCOPE,
        ),
        Section(
            "Safety & staffing",
            (
                Field("working_hours", "Working hours"),
                _count("required_team_size", "Required team size"),
                _area("site_access_requirements", "Site access requirements"),
                Field(
                    "facility_equipment_condition",
                    "Equipment condition",
                    FieldType.CHOICE,
                    required=True,
                    choices=("Excellent", "Good", "Fair", "Poor"),
                    default="Good",
                ),
                Field("required_equipment", "Required equipment", max_length=1000),
                _area("facility_maintenance_notes", "Maintenance notes"),
                _area("high_risk_areas", "High-risk areas"),
                Field("suggested_safety_ppe", "Suggested safety PPE", max_length=1000),
            ),
            tab=SAFETY,
        ),
        Section("General comments", (_area("general_comments", "General comments", "Comments"),), tab=EVIDENCE),
        Section(
            "Sign-off",
            (
                Field("assessor_name", "Technician (assessor) name", report_label="Assessor"),
                Field("contact_name", "Client contact name", report_label="Contact person"),
            ),
            tab=SIGN_OFF,
        ),
    ),
    photos=Photos(
        key="photos",
        label="Site photos",
        report_title="Site photos",
        read_keys=("photos", "photo_urls"),
        numbered_keys=True,
        indexed=True,
        tab=EVIDENCE,
    ),
    signatures=(
        Signature(
            "tech_signature",
            "Technician signature",
            role="technician",
            required=True,
            signer_field="assessor_name",
            read_keys=("tech_signature_url", "tech_signature"),
            empty="",
        ),
        Signature(
            "contact_signature",
            "Client signature",
            role="client",
            signer_field="contact_name",
            read_keys=("contact_signature_url", "contact_signature"),
            report_label="Contact person signature",
            empty="",
        ),
    ),
    # The project names the site; old imported records without one fall back to the client, as
    # the importer always did (new submits require the project name, so it never applies to them).
    site_name_keys=("project_name", "client_name"),
    visit_date_key="date_of_visit",
    report=Report(title="Site Assessment Report", subtitle="Cleaning services", sheet_title="Assessment Report"),
    document=DocumentShape(
        id_key="submission_id",
        time_key="created_at",
        written="cleaning_submit",
        read=("cleaning_wrapped",),
        job_key="job_id",
        wrapper_keys=("data",),
        job_results=JobResults.KEYS,
        unknown_job="Job not found",
    ),
    submit_label="Submit assessment",
)
