"""A fourth module, declared only here, gets everything from its declaration alone (issue 13):
its form renders and validates, a submit stores its document and columns, the report job
builds its PDF and workbook, the admin page and the exports show its fields, and the schema
endpoint describes it. No other code names it."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import openpyxl
import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from jobs.selectors import job_latest_for_submission
from jobs.services import report_job_run
from submissions.models import Submission
from submissions.modules.registry import registered
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
from tests.inspection_helpers import new_key, signature_data_url, upload_photo
from tests.system_requirements import require_report_fonts

pytestmark = pytest.mark.django_db

TOY = ModuleDeclaration(
    module="pool_check",
    name="Pool check",
    title="Swimming pool check",
    url_prefix="pool-check",
    sections=(
        Section(
            "Pool",
            (
                Field("pool_name", "Pool name", required=True),
                Field("checked_on", "Checked on", FieldType.DATE, required=True, allow_future=False),
                Field("chlorine_ppm", "Chlorine (ppm)", FieldType.DECIMAL, decimal_places=2),
                Field("lifeguard_present", "Lifeguard present", FieldType.YES_NO),
                Field("water_colour", "Water colour", FieldType.CHOICE, choices=("Clear", "Cloudy", "Green")),
                Field("duty_phone", "Duty phone", max_length=40, input_type="tel"),
            ),
        ),
    ),
    items=Items(
        key="findings",
        prefix="finding",
        label="Findings",
        item_label="Finding",
        report_title="Findings",
        fields=(
            Field("area", "Area", required=True),
            Field("tiles_broken", "Broken tiles", FieldType.NUMBER),
        ),
        title_field="area",
        min_count=1,
        photos=Photos(),
    ),
    signatures=(
        Signature("tech_signature", "Technician signature", role="technician", required=True),
        Signature("manager_signature", "Pool manager signature", role="manager"),
    ),
    site_name_keys=("pool_name",),
    visit_date_key="checked_on",
    report=Report(title="Pool Check Report", subtitle="Site visit", sheet_title="Pool Check"),
    document=DocumentShape(id_key="submission_id", time_key="timestamp", written="declared"),
    submit_label="Submit pool check",
)


@pytest.fixture
def toy() -> Iterator[ModuleDeclaration]:
    with registered(TOY) as declared:
        yield declared


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def _post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_key": new_key(),
        "pool_name": "Marina Pool",
        "checked_on": "2025-12-20",
        "chlorine_ppm": "1.50",
        "lifeguard_present": "on",
        "water_colour": "Clear",
        "duty_phone": "+971 50 123 4567",
        "tech_signature": signature_data_url(),
        "manager_signature": "",
        "finding-TOTAL_FORMS": "2",
        "finding-INITIAL_FORMS": "0",
        "finding-0-area": "Deep end",
        "finding-0-tiles_broken": "3",
        "finding-1-area": "=Steps",
        "finding-1-tiles_broken": "0",
    }
    data.update(changes)
    return data


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def test_a_module_declared_only_in_a_test_works_end_to_end(
    toy: ModuleDeclaration, client_in: Client, staff_user: Any
) -> None:
    # The home page links to its form, the form renders from the declaration.
    assert '<a href="/pool-check/form">New swimming pool check</a>' in client_in.get("/").content.decode()
    page = client_in.get("/pool-check/form")
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        "Swimming pool check",
        "Pool name",
        "Chlorine (ppm)",
        'name="finding-0-area"',
        "Submit pool check",
    ):
        assert expected in html, expected

    # It validates by the declaration: required fields, the choice, at least one finding.
    refused = client_in.post(
        "/pool-check/form", _post(pool_name="", water_colour="Purple", **{"finding-TOTAL_FORMS": "0"})
    )
    assert refused.status_code == 400
    assert not Submission.objects.exists()

    # A submit stores its document and its columns.
    first, second = upload_photo(client_in, "pool-check"), upload_photo(client_in, "pool-check")
    response = client_in.post("/pool-check/form", _post(**{"finding-0-photo_ids": f"{second['id']},{first['id']}"}))
    assert response.status_code == 303, response.content.decode()[:2000]
    submission = Submission.objects.get()
    assert (submission.module, submission.site_name, submission.visit_date) == (
        "pool_check",
        "Marina Pool",
        dt.date(2025, 12, 20),
    )
    document = submission.form_data
    assert (document["pool_name"], document["chlorine_ppm"], document["duty_phone"]) == (
        "Marina Pool",
        "1.50",
        "+971 50 123 4567",
    )
    assert [finding["area"] for finding in document["findings"]] == ["Deep end", "=Steps"]
    assert [photo["name"] for photo in document["findings"][0]["photos"]] == [second["name"], first["name"]]

    # The report job builds its PDF and workbook from the declaration.
    require_report_fonts()
    job = job_latest_for_submission(submission_id=submission.submission_id)
    assert job is not None
    report_job_run(job_id=job.job_id)
    job = job_latest_for_submission(submission_id=submission.submission_id)
    assert job is not None and job.status == "done", job.error_message if job else None
    pdf = b"".join(client_in.get(job.pdf_url).streaming_content)  # type: ignore[attr-defined]
    text = _pdf_text(pdf)
    for expected in ("Pool Check Report", "Pool name", "Marina Pool", "Findings", "Deep end", "Technician signature"):
        assert expected in text, expected
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(client_in.get(job.excel_url).streaming_content)))  # type: ignore[attr-defined]
    sheet = workbook.worksheets[0]
    assert sheet.title == "Pool Check"
    cells = {row[0].value: row[1] for row in sheet.iter_rows() if isinstance(row[0].value, str) and len(row) > 1}
    assert cells["Chlorine (ppm)"].value == 1.5 and cells["Checked on"].is_date
    assert (cells["Duty phone"].value, cells["Duty phone"].data_type) == ("+971 50 123 4567", "s")
    assert cells["Lifeguard present"].value == "Yes"

    # The admin page and the exports show its fields.
    staff = Client()
    staff.force_login(staff_user)
    admin_html = staff.get(reverse("admin:submissions_submission_change", args=[submission.pk])).content.decode()
    block = admin_html[admin_html.index('<div class="injaaz-document">') :]
    for expected in (
        "Pool name",
        "Marina Pool",
        "Lifeguard present",
        "Findings",
        "Broken tiles",
        "Pool manager signature",
    ):
        assert expected in block, expected
    assert re.search(r"<dt>Lifeguard present</dt><dd>Yes</dd>", block)
    export = staff.post(
        reverse("admin:submissions_submission_changelist"),
        {"action": "export_csv", "_selected_action": [submission.pk]},
    )
    header = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[0]  # type: ignore[attr-defined]
    assert header.endswith(
        "Pool name,Checked on,Chlorine (ppm),Lifeguard present,Water colour,Duty phone,"
        "Findings,Area,Broken tiles,Technician signature,Pool manager signature,Photos"
    )

    # The schema endpoint describes it.
    schema = client_in.get("/api/modules/pool_check/schema").json()
    assert schema["name"] == "Pool check" and schema["items"]["key"] == "findings"
    assert [field["key"] for field in schema["sections"][0]["fields"]] == [f.key for f in TOY.fields]
    assert schema["reference_data"] == {}


def test_the_toy_module_is_gone_after_its_block(client_in: Client) -> None:
    assert client_in.get("/pool-check/form").status_code == 404
    assert client_in.get("/api/modules/pool_check/schema").status_code == 404
