"""Every real file the old app wrote imports to the expected columns, field by field."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import ImportLedgerEntry, Submission, UploadedFile
from tests.import_helpers import import_tree
from tests.legacy_samples import GENERATED

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def day() -> dt.date:
    return dt.date(2025, 12, 20)


# submission_id: (module, status, site_name, visit_date, created_at)
SUBMISSIONS = {
    "sub_0ea218030a6b": ("hvac_mep", "completed", "Tower A", day(), at("2026-11-25T17:35:51.175909")),
    "sub_1b4805e47ea6": ("hvac_mep", "failed", "Bldg 4/5", day(), at("2026-11-25T17:36:21.305472")),
    # Civil /submit has no timestamp: its job's created_at (epoch float) stands in.
    "sub_32be184f309d": ("civil", "completed", "Marina Villa", day(), at("2026-11-25T17:36:01.922429")),
    "sub_3d9258c95ada": ("civil", "failed", "Villa 4/5", day(), at("2026-11-25T17:36:22.316139")),
    "sub_41c47c6f69bc": ("hvac_mep", "completed", "", None, at("2026-11-25T17:36:24.343982")),
    "sub_538fccbd0ff8": ("hvac_mep", "completed", "Watch Site", day(), at("2026-11-25T17:36:40.761986")),
    "sub_65dd646bfce1": ("cleaning", "failed", "P", day(), at("2026-11-25T17:36:23.324670")),
    "sub_6c3e992dc68d": ("cleaning", "completed", "Creek Tower", day(), at("2026-11-25T17:36:04.970106")),
    "sub_806b975e3b93": ("civil", "completed", "Marina Villa", day(), at("2026-11-25T17:36:03.953702")),
    "sub_9ca773b2a152": ("civil", "completed", "Marina Villa", day(), at("2026-11-25T17:36:02.940265")),
    "sub_e537b09fbb35": ("hvac_mep", "completed", "Tower B", day(), at("2026-11-25T17:35:52.196617")),
    "sub_e93f6658c4cb": ("cleaning", "completed", "Creek Tower", day(), at("2026-11-25T17:36:05.982238")),
    "sub_f2a63d091aef": ("cleaning", "completed", "Creek Tower", day(), at("2026-11-25T17:36:07.001487")),
}

SIGNATURE = json.loads((GENERATED / "submissions" / "sub_806b975e3b93.json").read_text())["inspector_signature"]
MARKER = "embedded:sha256:" + hashlib.sha256(SIGNATURE.encode()).hexdigest()


def local(name: str, size: int) -> tuple[str, str, str, str, int]:
    return (f"/generated/uploads/{name}", "photo", "", name, size)


# submission_id: [(cloudinary_url, file_type, public_id, original_filename, file_size)] in document order
FILES = {
    "sub_0ea218030a6b": [local("ahu_photo_69a6c9b4.png", 249)],
    # fields.tech_signature and fields.op_signature hold the same image: one row (natural key).
    "sub_32be184f309d": [local("crack_d555b475.png", 249), (MARKER, "signature", "", "tech_signature.png", 403)],
    "sub_6c3e992dc68d": [local("lobby_4fee2ba9.png", 249), (MARKER, "signature", "", "tech_signature.png", 403)],
    "sub_806b975e3b93": [local("crack_d555b475.png", 249), (MARKER, "signature", "", "inspector_signature.png", 403)],
    "sub_9ca773b2a152": [
        local("site_24d51915.png", 248),
        local("crack_d555b475.png", 249),
        (MARKER, "signature", "", "tech_signature.png", 403),
    ],
    "sub_e537b09fbb35": [local("pump_1af54a04.png", 248)],
    "sub_f2a63d091aef": [local("lobby_4fee2ba9.png", 249)],
}

BASE = "http://127.0.0.1:5057/generated/"
HVAC_ERROR = "[Errno 2] No such file or directory: '/srv/injaaz/generated/HVAC_MEP_Bldg_4/5_20261125_173621.xlsx'"
CIVIL_ERROR = "[Errno 2] No such file or directory: '/srv/injaaz/generated/Civil_Villa_4/5_20261125_173622.xlsx'"
CLEANING_ERROR = (
    "[Errno 2] No such file or directory: '/srv/injaaz/generated/Cleaning_Assessment_A/B_20261125_173623.xlsx'"
)


def reports(excel: str, pdf: str) -> tuple[str, str]:
    return BASE + excel, BASE + pdf


# job_id: (submission_id, status, progress, (excel_url, pdf_url), error_message, created_at, completed_at)
JOBS: dict[str, tuple[Any, ...]] = {
    "job_1b616276793f": (
        "sub_32be184f309d",
        "done",
        100,
        reports("Civil_Marina_Villa_20261125_173601.xlsx", "Civil_Unknown_Project_20261125_173601.pdf"),
        "",
        at("2026-11-25T17:36:01.922429"),
        at("2026-11-25T17:36:01.939754"),
    ),
    "job_3cfa5257f6e9": (
        "sub_0ea218030a6b",
        "done",
        100,
        reports("HVAC_MEP_Tower_A_20261125_173551.xlsx", "HVAC_MEP_Tower_A_20261125_173551.pdf"),
        "",
        at("2026-11-25T17:35:51.176358"),
        at("2026-11-25T17:35:51.193789"),
    ),
    "job_4d07171318e7": (
        "sub_41c47c6f69bc",
        "done",
        100,
        reports("HVAC_MEP__20261125_173624.xlsx", "HVAC_MEP__20261125_173624.pdf"),
        "",
        at("2026-11-25T17:36:24.344389"),
        at("2026-11-25T17:36:24.357538"),
    ),
    "job_77978d8133f7": (
        "sub_e93f6658c4cb",
        "done",
        100,
        reports("Cleaning_Assessment_Emaar_20261125_173605.xlsx", "Cleaning_Assessment_Emaar_20261125_173605.pdf"),
        "",
        at("2026-11-25T17:36:05.982579"),
        at("2026-11-25T17:36:06.003341"),
    ),
    "job_7eb45c1462f6": (
        "sub_e537b09fbb35",
        "done",
        100,
        reports("HVAC_MEP_Tower_B_20261125_173552.xlsx", "HVAC_MEP_Tower_B_20261125_173552.pdf"),
        "",
        at("2026-11-25T17:35:52.196751"),
        at("2026-11-25T17:35:52.213647"),
    ),
    # HVAC reported failures as state "done" with results.error: a failed job.
    "job_88f1d2ac5c91": (
        "sub_1b4805e47ea6",
        "failed",
        100,
        ("", ""),
        HVAC_ERROR,
        at("2026-11-25T17:36:21.305788"),
        at("2026-11-25T17:36:21.311948"),
    ),
    "job_9de01010b814": (
        "sub_806b975e3b93",
        "done",
        100,
        reports("Civil_Unknown_Project_20261125_173603.xlsx", "Civil_Marina_Villa_20261125_173603.pdf"),
        "",
        at("2026-11-25T17:36:03.953702"),
        at("2026-11-25T17:36:03.966400"),
    ),
    "job_b2f4a6184254": (
        "sub_538fccbd0ff8",
        "done",
        100,
        reports("HVAC_MEP_Watch_Site_20261125_173640.xlsx", "HVAC_MEP_Watch_Site_20261125_173640.pdf"),
        "",
        at("2026-11-25T17:36:40.762304"),
        at("2026-11-25T17:36:40.781190"),
    ),
    "job_b4b9e724ce93": (
        "sub_6c3e992dc68d",
        "done",
        100,
        reports(
            "Cleaning_Assessment_Unknown_Client_20261125_173604.xlsx",
            "Cleaning_Assessment_Unknown_Client_20261125_173604.pdf",
        ),
        "",
        at("2026-11-25T17:36:04.970364"),
        at("2026-11-25T17:36:04.995806"),
    ),
    "job_b83f5a1c17ae": (
        "sub_f2a63d091aef",
        "done",
        100,
        reports(
            "Cleaning_Assessment_Unknown_Client_20261125_173607.xlsx",
            "Cleaning_Assessment_Unknown_Client_20261125_173607.pdf",
        ),
        "",
        at("2026-11-25T17:36:07.001778"),
        at("2026-11-25T17:36:07.017326"),
    ),
    "job_cb1ed77295f1": (
        "sub_9ca773b2a152",
        "done",
        100,
        reports("Civil_Marina_Villa_20261125_173602.xlsx", "Civil_Unknown_Project_20261125_173602.pdf"),
        "",
        at("2026-11-25T17:36:02.940265"),
        at("2026-11-25T17:36:02.956585"),
    ),
    # Civil failures have no completed_at.
    "job_e59eaaec673e": (
        "sub_3d9258c95ada",
        "failed",
        0,
        ("", ""),
        CIVIL_ERROR,
        at("2026-11-25T17:36:22.316139"),
        None,
    ),
    # Cleaning failures write completed_at as an ISO string.
    "job_e6f96d7f58f7": (
        "sub_65dd646bfce1",
        "failed",
        0,
        ("", ""),
        CLEANING_ERROR,
        at("2026-11-25T17:36:23.324898"),
        at("2026-11-25T17:36:23.334329"),
    ),
}

SUMMARY = [
    "Submissions: 13 total, 13 imported, 0 already present, 0 conflicts, 0 failed",
    "Jobs: 13 total, 13 imported, 0 already present, 0 conflicts, 0 failed, 0 orphans",
    "By module: civil 4, cleaning 4, hvac_mep 5",
    "Every file is in the database.",
]


@pytest.fixture
def imported(db: Any) -> list[str]:
    out, err, status = import_tree(GENERATED)
    assert status == 0, err
    return out


def test_summary_and_exit_status(imported: list[str]) -> None:
    assert imported == SUMMARY


def test_submission_columns(imported: list[str]) -> None:
    rows = {row.submission_id: row for row in Submission.objects.all()}
    assert set(rows) == set(SUBMISSIONS)
    for submission_id, (module, status, site_name, visit_date, created_at) in SUBMISSIONS.items():
        row = rows[submission_id]
        assert (row.module, row.status, row.site_name) == (module, status, site_name), submission_id
        assert row.visit_date == visit_date, submission_id
        assert row.created_at == created_at, submission_id
        assert row.submitted_by_ip == "" and row.user_id is None, submission_id
        # form_data is the document itself, every key and value.
        document = json.loads((GENERATED / "submissions" / f"{submission_id}.json").read_text())
        assert row.form_data == document, submission_id


def test_uploaded_file_rows(imported: list[str]) -> None:
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in UploadedFile.objects.select_related("submission").order_by("submission__submission_id", "id"):
        assert row.submission is not None
        found.setdefault(row.submission.submission_id, []).append(
            (row.cloudinary_url, row.file_type, row.cloudinary_public_id, row.original_filename, row.file_size)
        )
        assert row.uploaded_at == row.submission.created_at
    assert found == FILES


def test_job_columns(imported: list[str]) -> None:
    rows = {job.job_id: job for job in Job.objects.select_related("submission")}
    assert set(rows) == set(JOBS)
    for job_id, (submission_id, status, progress, (excel, pdf), error, created_at, completed_at) in JOBS.items():
        job = rows[job_id]
        assert job.submission.submission_id == submission_id, job_id
        assert (job.status, job.progress, job.excel_url, job.pdf_url) == (status, progress, excel, pdf), job_id
        assert job.error_message == error, job_id
        assert (job.created_at, job.completed_at, job.started_at) == (created_at, completed_at, None), job_id


def test_ledger_and_audit(imported: list[str]) -> None:
    entries = {entry.path: entry for entry in ImportLedgerEntry.objects.all()}
    assert len(entries) == 26
    entry = entries["submissions/sub_0ea218030a6b.json"]
    raw = (GENERATED / "submissions" / "sub_0ea218030a6b.json").read_bytes()
    assert (entry.kind, entry.record_id, entry.module, entry.outcome) == (
        "submission",
        "sub_0ea218030a6b",
        "hvac_mep",
        "imported",
    )
    assert (entry.content_hash, entry.size) == (hashlib.sha256(raw).hexdigest(), len(raw))
    assert entries["jobs/job_88f1d2ac5c91.json"].kind == "job"
    log = AuditLog.objects.get()
    assert (log.action, log.resource_type) == ("import_json", "legacy_tree")
    details = log.details or {}
    assert details["submissions"]["imported"] == 13
    assert details["jobs"]["imported"] == 13
    assert details["by_module"] == {"civil": 4, "cleaning": 4, "hvac_mep": 5}


@pytest.mark.django_db
def test_drafts_are_not_submissions() -> None:
    out, _, status = import_tree(GENERATED)
    assert status == 0
    assert not Submission.objects.filter(submission_id__startswith="draft").exists()
    assert out[0].startswith("Submissions: 13 total")
