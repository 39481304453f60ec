"""Shadow comparison logs every difference between the row and the file, with both ids."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from submissions.legacy.files import LegacyTree
from submissions.legacy.shadow import MISSING, Difference, document_differences
from submissions.models import Submission
from submissions.router import submission_get
from tests.legacy_store_helpers import create, hvac_document, legacy_dir, read

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def shadow(legacy_dir: Path, settings: Any) -> LegacyTree:
    settings.INJAAZ_SHADOW_COMPARE = True
    return LegacyTree(legacy_dir)


@pytest.fixture
def both(shadow: LegacyTree, settings: Any, django_capture_on_commit_callbacks: Any) -> Submission:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    with django_capture_on_commit_callbacks(execute=True):
        return create("hvac_mep")


def shadow_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "injaaz.shadow"]


@pytest.mark.parametrize("phase", ["dual", "dual_read_db", "db_read_fallback"])
def test_equal_sides_log_nothing(phase: str, both: Submission, settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.INJAAZ_STORAGE_PHASE = phase
    with caplog.at_level(logging.DEBUG, logger="injaaz.shadow"):
        assert submission_get(both.submission_id) is not None
    assert shadow_lines(caplog) == []


@pytest.mark.parametrize("phase", ["dual", "dual_read_db", "db_read_fallback"])
def test_every_difference_is_logged_with_both_ids(
    phase: str, both: Submission, shadow: LegacyTree, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = shadow.submission_path(both.submission_id)
    document = read(path)
    document["site_name"] = "Tower B"
    document["items"][0]["photos"][0]["url"] = "https://example.com/other.jpg"
    document["items"].append({"asset": "Lights", "system": "Lamps", "description": "Lamps", "photos": []})
    del document["base_url"]
    document["note"] = "added by hand"
    path.write_text(json.dumps(document, indent=2))

    settings.INJAAZ_STORAGE_PHASE = phase
    with caplog.at_level(logging.INFO, logger="injaaz.shadow"):
        submission_get(both.submission_id)
    lines = shadow_lines(caplog)
    messages = [line.getMessage() for line in lines]
    assert len(messages) == 6, messages
    for line, message in zip(lines, messages, strict=True):
        assert line.levelno == logging.WARNING
        assert f"phase={phase} submission_id={both.submission_id} db_id={both.pk} file={path}" in message
        assert f"file_id={both.submission_id}" in message
    differing = [message.split(": ", 1)[1].split(" differs")[0] for message in messages]
    assert differing == [
        "form_data.base_url",
        "form_data.items[0].photos[0].url",
        "form_data.items[1]",
        "form_data.note",
        "form_data.site_name",
        "site_name",  # the row's column against the file's normalised reading
    ]
    assert "database='Tower A' file='Tower B'" in messages[-1]
    assert "database='https://injaaz.example.com' file=<missing>" in messages[0]


def test_a_record_on_one_side_only_is_logged(
    shadow: LegacyTree, settings: Any, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "db_read_fallback"
    with django_capture_on_commit_callbacks(execute=True):
        database_only = create("civil")
    shadow.submissions_dir.mkdir(exist_ok=True)
    shadow.submission_path("sub_00000000cafe").write_text(
        json.dumps({"submission_id": "sub_00000000cafe", **hvac_document()})
    )

    settings.INJAAZ_STORAGE_PHASE = "dual_read_db"
    with caplog.at_level(logging.INFO, logger="injaaz.shadow"):
        assert submission_get(database_only.submission_id) is not None
        assert submission_get("sub_00000000cafe") is not None
    messages = [line.getMessage() for line in shadow_lines(caplog)]
    assert messages == [
        f"shadow-compare phase=dual_read_db submission_id={database_only.submission_id} db_id={database_only.pk} "
        f"file={shadow.submission_path(database_only.submission_id)} file_id=None: only in the database",
        f"shadow-compare phase=dual_read_db submission_id=sub_00000000cafe db_id=None "
        f"file={shadow.submission_path('sub_00000000cafe')} file_id=sub_00000000cafe: only in the file",
    ]


@pytest.mark.parametrize("phase", ["json", "db"])
def test_phases_reading_one_side_do_not_compare(
    phase: str, both: Submission, shadow: LegacyTree, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = shadow.submission_path(both.submission_id)
    path.write_text(json.dumps({**read(path), "site_name": "Changed"}))
    settings.INJAAZ_STORAGE_PHASE = phase
    with caplog.at_level(logging.DEBUG, logger="injaaz.shadow"):
        assert submission_get(both.submission_id) is not None
    assert shadow_lines(caplog) == []


def test_shadow_compare_off_logs_nothing(
    both: Submission, shadow: LegacyTree, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = shadow.submission_path(both.submission_id)
    path.write_text(json.dumps({**read(path), "site_name": "Changed"}))
    settings.INJAAZ_SHADOW_COMPARE = False
    with caplog.at_level(logging.DEBUG, logger="injaaz.shadow"):
        found = submission_get(both.submission_id)
    assert found is not None and found.form_data["site_name"] == "Changed"  # dual reads the file
    assert shadow_lines(caplog) == []


def test_document_differences_walks_nested_values() -> None:
    assert document_differences({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []
    assert document_differences({"a": 1}, {"a": 1.0}) == [Difference("form_data.a", 1, 1.0)]
    assert document_differences({"a": [1]}, {"a": [1, 2]}) == [Difference("form_data.a[1]", MISSING, 2)]
    assert document_differences({"a": {"b": None}}, {"a": {}}) == [Difference("form_data.a.b", None, MISSING)]
    assert document_differences({"a": "x"}, {"a": ["x"]}) == [Difference("form_data.a", "x", ["x"])]
