"""The module declarations (submissions/modules): lookup, registration, and the one column rule."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from submissions.models import Module, Submission
from submissions.modules.registry import UnknownModuleError, declaration, declarations, registered
from submissions.modules.types import DocumentShape, Field, FieldType, ModuleDeclaration, Report, Section, Signature

TOY = ModuleDeclaration(
    module="toy_survey",
    name="Toy survey",
    title="Toy survey",
    url_prefix="toy-survey",
    sections=(Section("Place", (Field("place", "Place", required=True), Field("day", "Day", FieldType.DATE))),),
    signatures=(Signature("tech_signature", "Technician signature", role="technician", required=True),),
    site_name_keys=("place",),
    visit_date_key="day",
    report=Report(title="Toy Survey", subtitle="Test", sheet_title="Toy"),
    document=DocumentShape(id_key="submission_id", time_key="created_at", written="toy"),
)


def test_the_three_modules_are_declared_and_looked_up_by_their_value() -> None:
    assert [d.module for d in declarations()][:3] == [Module.HVAC_MEP, Module.CIVIL, Module.CLEANING]
    assert declaration(Module.CIVIL) is declaration("civil")
    with pytest.raises(UnknownModuleError):
        declaration("plumbing")


def test_declarations_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        declaration("civil").name = "x"  # type: ignore[misc]


def test_no_key_is_declared_twice_within_a_module() -> None:
    for module in declarations():
        keys = [f.key for f in module.fields] + [s.key for s in module.signatures]
        assert len(keys) == len(set(keys)), module.module
        if module.items is not None:
            item_keys = [f.key for f in module.items.fields]
            assert len(item_keys) == len(set(item_keys))


@pytest.mark.parametrize(
    ("module", "fields", "expected"),
    [
        ("hvac_mep", {"site_name": " Tower ", "visit_date": "2025-12-20"}, ("Tower", dt.date(2025, 12, 20))),
        (
            "civil",
            {"project_name": "Villa", "date": "2025-12-19", "visit_date": "2025-01-01"},
            ("Villa", dt.date(2025, 12, 19)),
        ),
        ("civil", {"project_name": "Villa", "visit_date": "20/12/2025"}, ("Villa", None)),
        (
            "cleaning",
            {"project_name": "", "client_name": "Emaar", "date_of_visit": "2025-12-20"},
            ("Emaar", dt.date(2025, 12, 20)),
        ),
        ("cleaning", {"project_name": "Creek", "client_name": "Emaar", "date_of_visit": "2025-02-30"}, ("Creek", None)),
    ],
)
def test_one_rule_derives_site_name_and_visit_date(module: str, fields: dict[str, str], expected: tuple) -> None:
    assert declaration(module).columns(fields) == expected


def test_a_bad_visit_date_is_a_warning_naming_the_key_it_came_from() -> None:
    warnings: list[str] = []
    declaration("civil").columns({"date": "tomorrow"}, warnings=warnings, where="fields.")
    assert warnings == ["fields.date 'tomorrow' is not a YYYY-MM-DD date; visit date left empty"]


@pytest.mark.django_db
def test_a_registered_module_is_a_valid_submission_module_without_a_migration() -> None:
    with pytest.raises(Exception, match="toy_survey"):
        Submission(module="toy_survey", form_data={}).full_clean()
    with registered(TOY):
        assert declaration("toy_survey") is TOY
        submission = Submission(module="toy_survey", form_data={"place": "Yard"})
        submission.full_clean()
        submission.save()
        assert Submission.objects.filter(module="toy_survey").count() == 1
    with pytest.raises(UnknownModuleError):
        declaration("toy_survey")
