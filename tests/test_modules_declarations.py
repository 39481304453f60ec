"""The module declarations (submissions/modules): lookup, registration, and the one column rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from submissions.models import Module, Submission
from submissions.modules.registry import UnknownModuleError, declaration, declarations, registered
from submissions.modules.types import (
    DocumentShape,
    Field,
    FieldType,
    Items,
    ModuleDeclaration,
    Photos,
    Report,
    Section,
    Signature,
)

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
    items=Items(
        key="trees",
        prefix="trees",
        label="Trees",
        item_label="Tree",
        report_title="Trees counted",
        fields=(Field("kind", "Kind of tree", required=True), Field("height", "Height (m)", FieldType.DECIMAL)),
        title_field="kind",
        min_count=1,
        photos=Photos(),
    ),
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


@pytest.mark.django_db
def test_a_registered_module_is_served_from_its_declaration_alone(client: Any, inspector: Any) -> None:
    """The core path of a fourth module: its form page, a refused and an accepted submit, the
    stored document and columns, and its report content, with no code but the declaration."""
    from jobs.reports.files import ReportFiles
    from jobs.reports.render import render_reports
    from submissions.legacy.normalize import normalize_submission
    from tests.inspection_helpers import new_key, signature_data_url, upload_photo

    client.force_login(inspector)
    with registered(TOY):
        page = client.get("/toy-survey/form").content.decode()
        assert "<h1>Toy survey</h1>" in page and 'name="place"' in page and 'name="trees-0-kind"' in page
        photo = upload_photo(client, "toy-survey")
        post = {
            "client_key": new_key(),
            "place": "Yard",
            "day": "2025-12-20",
            "tech_signature": signature_data_url(),
            "trees-TOTAL_FORMS": "1",
            "trees-INITIAL_FORMS": "0",
            "trees-0-kind": "Palm",
            "trees-0-height": "4.5",
            "trees-0-photo_ids": str(photo["id"]),
        }
        refused = client.post("/toy-survey/form", {**post, "tech_signature": "", "trees-0-kind": ""})
        assert refused.status_code == 400
        assert 'data-error-for="trees-0-kind">This field is required.' in refused.content.decode()
        assert 'data-error-for="tech_signature">Technician signature is required' in refused.content.decode()
        assert client.post("/toy-survey/form", post).status_code == 303
        submission = Submission.objects.get()
        assert (submission.module, submission.site_name, submission.visit_date) == (
            "toy_survey",
            "Yard",
            dt.date(2025, 12, 20),
        )
        document = submission.form_data
        assert document["place"] == "Yard" and document["trees"][0]["kind"] == "Palm"
        assert document["trees"][0]["photos"][0]["url"] == photo["url"]
        assert document["tech_signature"]["name"].startswith("signatures/")
        record = normalize_submission(document, stem=submission.submission_id, module_hint="toy_survey")
        reports = render_reports(
            record,
            ReportFiles.for_document(document).open,
            job_id="job_0000000000aa",
            generated_at=dt.datetime.now(dt.UTC),
        )
        content = reports.content
        assert (content.module_name, content.layout.title) == ("Toy survey", "Toy Survey")
        assert [row.label for section in content.sections for row in section.rows] == ["Place", "Day"]
        assert content.items[0].title == "Item 1: Palm" and len(content.items[0].photos) == 1
        assert [s.label for s in content.signatures] == ["Technician signature"] and content.signatures[0].present
        assert reports.pdf.startswith(b"%PDF") and reports.excel.startswith(b"PK")
