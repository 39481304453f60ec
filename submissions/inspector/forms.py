"""The three inspector forms, with exactly the fields of the old app's forms (FORMAT.md §4).

The old bugs are gone: Civil asks for the location and keeps every work row, signatures are
saved, photos belong to their item, and the server checks required fields, dates (``YYYY-MM-DD``,
not in the future) and numbers. Photo fields hold the ids of photos uploaded ahead (see
``submissions.uploads``); the views check those ids belong to the inspector.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms import formset_factory

from submissions.inspector.fields import (
    ClientKeyField,
    IsoDateField,
    NumberField,
    PhotoIdsField,
    SignatureField,
    TextField,
)
from submissions.inspector.selectors import Taxonomy
from submissions.legacy.fields import FACILITY_COUNT_FIELDS
from submissions.selectors import photos_waiting


class PhotosMixin:
    """Checks an item's photo ids against the inspector's waiting uploads."""

    user: Any
    replay_of: Any = None
    photo_field = "photo_ids"

    def clean_photo_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data[self.photo_field]  # type: ignore[attr-defined]
        found = photos_waiting(user=self.user, ids=ids, replay_of=self.replay_of)
        if len(found) != len(ids):
            raise forms.ValidationError(
                "A photo of this item is no longer available (already submitted or removed); add it again."
            )
        self.photos = [found[pk] for pk in ids]
        return ids


class InspectionForm(forms.Form):
    """Common to the three forms: the inspector, and the client's idempotency key.

    ``replay_of``: the submission this form's key already created (a retried submit), whose
    photos the form may name again.
    """

    client_key = ClientKeyField()

    def __init__(self, *args: Any, user: Any = None, replay_of: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.replay_of = replay_of


# --- HVAC & MEP -----------------------------------------------------------------------------


class HvacForm(InspectionForm):
    site_name = forms.CharField(label="Site name", max_length=200)
    visit_date = IsoDateField(label="Visit date", allow_future=False)
    tech_signature = SignatureField(label="Technician signature")
    opman_signature = SignatureField(label="Operations manager signature")


class HvacItemForm(PhotosMixin, forms.Form):
    asset = forms.ChoiceField(label="Asset")
    system = forms.CharField(label="System", max_length=100)
    description = forms.CharField(label="Description", max_length=200)
    photo_ids = PhotoIdsField()

    def __init__(self, *args: Any, taxonomy: Taxonomy, user: Any = None, replay_of: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taxonomy = taxonomy
        self.user = user
        self.replay_of = replay_of
        self.photos: list[Any] = []
        asset_field = self.fields["asset"]
        assert isinstance(asset_field, forms.ChoiceField)
        asset_field.choices = [("", "Choose an asset"), *((name, name) for name in taxonomy)]
        # Without JavaScript the systems are grouped by asset; the script narrows them down.
        self.fields["system"].widget = forms.Select(
            choices=[
                ("", "Choose a system"),
                *((asset, [(name, name) for name in systems]) for asset, systems in taxonomy.items()),
            ]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asset, system, description = data.get("asset"), data.get("system"), data.get("description")
        if not asset or not system:
            return data
        systems = self.taxonomy.get(asset, {})
        if system not in systems:
            self.add_error("system", f"Choose one of the systems of {asset}.")
            return data
        descriptions = systems[system]
        if descriptions and description:
            canonical = {text.casefold(): text for text in descriptions}
            if description.casefold() not in canonical:
                self.add_error("description", f"Choose one of the descriptions listed for {system}.")
            else:
                data["description"] = canonical[description.casefold()]
        return data


# --- Civil ----------------------------------------------------------------------------------


class CivilForm(InspectionForm):
    project_name = forms.CharField(label="Project name", max_length=200)
    location = forms.CharField(label="Location", max_length=200)
    visit_date = IsoDateField(label="Visit date", allow_future=False)
    description_of_work = TextField(label="Description of work", max_length=5000, widget=forms.Textarea)
    floor = TextField(label="Floor")
    developer_client = TextField(label="Developer / client")
    city_area = TextField(label="City / area")
    estimated_time = TextField(label="Estimated time", help_text="For example: 2 weeks")
    estimated_completion = IsoDateField(label="Estimated completion", required=False)
    inspector_name = TextField(label="Inspector name")
    manager_name = TextField(label="Manager name")
    inspector_signature = SignatureField(label="Inspector signature")
    manager_signature = SignatureField(label="Manager approval signature")


class WorkItemForm(PhotosMixin, forms.Form):
    description = forms.CharField(label="Work description", max_length=1000)
    quantity = NumberField(label="Quantity")
    material = TextField(label="Material required (with brand)")
    material_qty = NumberField(label="Material quantity")
    price = NumberField(label="Price", decimal_places=2)
    labour = TextField(label="Labour needed (hours/day)")
    photo_ids = PhotoIdsField()

    def __init__(self, *args: Any, user: Any = None, replay_of: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.replay_of = replay_of
        self.photos: list[Any] = []


# --- Cleaning -------------------------------------------------------------------------------

DEEP_CLEAN_CHOICES = [("No", "No"), ("Yes", "Yes")]
EQUIPMENT_CONDITION_CHOICES = [(value, value) for value in ("Excellent", "Good", "Fair", "Poor")]

CLEANING_TABS: list[tuple[str, list[str]]] = [
    (
        "Project & facility",
        [
            "client_name",
            "project_name",
            "site_address",
            "date_of_visit",
            "key_person_name",
            "contact_number",
            "room_count",
            "current_team_size",
            "lift_count_total",
            "current_team_desc",
            "facility_floor",
            *FACILITY_COUNT_FIELDS,
        ],
    ),
    (
        "Cleaning & scope",
        [
            "scope_offices",
            "scope_toilets",
            "scope_hallways",
            "scope_kitchen",
            "scope_exterior",
            "scope_special_care",
            "deep_clean_required",
            "deep_clean_areas",
            "waste_general",
            "waste_recycling",
            "waste_hazardous",
            "waste_hazardous_details",
            "restricted_access",
            "pest_control",
        ],
    ),
    (
        "Safety & staffing",
        [
            "working_hours",
            "required_team_size",
            "site_access_requirements",
            "facility_equipment_condition",
            "required_equipment",
            "facility_maintenance_notes",
            "high_risk_areas",
            "suggested_safety_ppe",
        ],
    ),
    ("Visual evidence", ["general_comments"]),
    ("Sign-off", ["assessor_name", "contact_name"]),
]
CLEANING_CHECKBOXES = (
    "scope_offices",
    "scope_toilets",
    "scope_hallways",
    "scope_kitchen",
    "scope_exterior",
    "scope_special_care",
    "waste_general",
    "waste_recycling",
    "waste_hazardous",
)


def _count(label: str) -> NumberField:
    return NumberField(label=label, integer=True)


def _area(label: str) -> TextField:
    return TextField(label=label, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class CleaningForm(PhotosMixin, InspectionForm):
    # Tab 1: project & facility
    client_name = forms.CharField(label="Client name", max_length=200)
    project_name = forms.CharField(label="Project name", max_length=200)
    site_address = TextField(label="Site address", max_length=500)
    date_of_visit = IsoDateField(label="Date of visit", allow_future=False)
    key_person_name = TextField(label="Key person name")
    contact_number = TextField(
        label="Contact number", max_length=40, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )
    room_count = _count("Room count")
    current_team_size = _count("Current team size")
    lift_count_total = _count("Lifts (total)")
    current_team_desc = _area("Current team description")
    facility_floor = TextField(label="Floors", help_text="For example: G+10")
    facility_ground_parking = _count("Ground parking")
    facility_basement = _count("Basements")
    facility_podium = _count("Podiums")
    facility_gym_room = _count("Gym rooms")
    facility_swimming_pool = _count("Swimming pools")
    facility_washroom_male = _count("Washrooms (male)")
    facility_washroom_female = _count("Washrooms (female)")
    facility_changing_room = _count("Changing rooms")
    facility_play_kids_place = _count("Kids' play areas")
    facility_garbage_room = _count("Garbage rooms")
    facility_floor_chute_room = _count("Floor chute rooms")
    facility_staircase = _count("Staircases")
    facility_floor_service_room = _count("Floor service rooms")
    facility_cleaner_count = _count("Cleaners")
    # Tab 2: cleaning & scope
    scope_offices = forms.BooleanField(label="Offices", required=False)
    scope_toilets = forms.BooleanField(label="Toilets", required=False)
    scope_hallways = forms.BooleanField(label="Hallways", required=False)
    scope_kitchen = forms.BooleanField(label="Kitchen", required=False)
    scope_exterior = forms.BooleanField(label="Exterior", required=False)
    scope_special_care = forms.BooleanField(label="Special care areas", required=False)
    deep_clean_required = forms.ChoiceField(label="Deep clean required", choices=DEEP_CLEAN_CHOICES, initial="No")
    deep_clean_areas = TextField(label="Deep clean areas", max_length=1000)
    waste_general = forms.BooleanField(label="General waste", required=False, initial=True)
    waste_recycling = forms.BooleanField(label="Recycling", required=False)
    waste_hazardous = forms.BooleanField(label="Hazardous waste", required=False)
    waste_hazardous_details = TextField(label="Hazardous waste details", max_length=1000)
    restricted_access = _area("Restricted access")
    pest_control = _area("Pest control")
    # Tab 3: safety & staffing
    working_hours = TextField(label="Working hours")
    required_team_size = _count("Required team size")
    site_access_requirements = _area("Site access requirements")
    facility_equipment_condition = forms.ChoiceField(
        label="Equipment condition", choices=EQUIPMENT_CONDITION_CHOICES, initial="Good"
    )
    required_equipment = TextField(label="Required equipment", max_length=1000)
    facility_maintenance_notes = _area("Maintenance notes")
    high_risk_areas = _area("High-risk areas")
    suggested_safety_ppe = TextField(label="Suggested safety PPE", max_length=1000)
    # Tab 4: visual evidence
    photo_ids = PhotoIdsField()
    general_comments = _area("General comments")
    # Tab 5: sign-off
    assessor_name = TextField(label="Technician (assessor) name")
    tech_signature = SignatureField(label="Technician signature")
    contact_name = TextField(label="Client contact name")
    contact_signature = SignatureField(label="Client signature")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.photos: list[Any] = []

    def tabs(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in CLEANING_TABS]


def photos_per_item() -> int:
    return int(settings.INJAAZ_PHOTOS_PER_ITEM)


HvacItemFormSet = formset_factory(HvacItemForm, extra=1, max_num=200, validate_max=True)
WorkItemFormSet = formset_factory(WorkItemForm, extra=1, max_num=200, validate_max=True)
