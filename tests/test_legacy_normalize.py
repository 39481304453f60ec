"""Every real sample the old app wrote normalises to the expected record, field by field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from submissions.legacy.files import LegacyTree, atomic_write_json, parse_json_bytes, read_json_file
from submissions.legacy.normalize import detect_shape, normalize_job, normalize_submission
from submissions.legacy.records import LegacyFormatError
from tests.legacy_samples import GENERATED

TREE = LegacyTree(GENERATED)
UTC = dt.UTC


def sample(submission_id: str, module_hint: str | None = None) -> Any:
    path = TREE.submission_path(submission_id)
    return normalize_submission(read_json_file(path), stem=path.stem, module_hint=module_hint)


def job(job_id: str) -> Any:
    path = TREE.job_path(job_id)
    return normalize_job(read_json_file(path), stem=path.stem)


def test_every_sample_submission_and_job_normalises() -> None:
    submissions = list(TREE.submission_files())
    jobs = list(TREE.job_files())
    assert len(submissions) == 13 and len(jobs) == 13
    shapes = {normalize_submission(read_json_file(p), stem=p.stem).shape for p in submissions}
    assert shapes == {
        "hvac_submit_with_urls",
        "hvac_submit",
        "civil_submit",
        "civil_json",
        "cleaning_wrapped",
        "cleaning_submit",
    }
    linked = {normalize_job(read_json_file(p), stem=p.stem).submission_id for p in jobs}
    assert linked == {p.stem for p in submissions}


def test_hvac_submit_with_urls() -> None:
    record = sample("sub_0ea218030a6b")
    assert (record.shape, record.module, record.site_name) == ("hvac_submit_with_urls", "hvac_mep", "Tower A")
    assert record.visit_date == dt.date(2025, 12, 20)
    assert record.created_at == dt.datetime(2026, 11, 25, 17, 35, 51, 175909, tzinfo=UTC)
    assert [item.fields for item in record.items] == [
        {"asset": "HVAC", "system": "Chiller Evaporator", "description": "Chiller"}
    ]
    assert record.items[0].photos == ["/generated/uploads/ahu_photo_69a6c9b4.png"]
    assert [(p.url, p.item, p.source) for p in record.photos] == [
        ("/generated/uploads/ahu_photo_69a6c9b4.png", 0, "items[0].photos[0]")
    ]
    assert record.signatures == [] and record.job_id is None and record.warnings == []


def test_hvac_empty_body_keeps_empty_columns() -> None:
    record = sample("sub_41c47c6f69bc")
    assert (record.site_name, record.visit_date, record.items, record.photos) == ("", None, [], [])


def test_hvac_legacy_multipart() -> None:
    record = sample("sub_e537b09fbb35")
    assert (record.shape, record.site_name, record.visit_date) == ("hvac_submit", "Tower B", dt.date(2025, 12, 20))
    assert record.created_at == dt.datetime(2026, 11, 25, 17, 35, 52, 196617, tzinfo=UTC)
    assert record.items[0].fields == {"asset": "Plumbing", "system": "Drainage System", "description": "Sump Pumps"}
    assert [p.url for p in record.photos] == ["/generated/uploads/pump_1af54a04.png"]


def test_civil_multipart_keeps_first_row_photos_and_signatures() -> None:
    record = sample("sub_32be184f309d")
    assert (record.shape, record.module, record.site_name) == ("civil_submit", "civil", "Marina Villa")
    assert record.visit_date == dt.date(2025, 12, 20)
    assert record.created_at is None  # Civil /submit has no timestamp: the importer uses the mtime
    assert record.fields["location"] == "Block 3"
    assert record.fields["inspector_name"] == "Ravi"
    assert record.fields["description_of_work"] == "Wall crack repair"
    assert [item.fields for item in record.items] == [
        {
            "item_number": "1",
            "description": "Patch plaster",
            "quantity": "3",
            "material": "Gypsum (Knauf)",
            "material_qty": "5",
            "price": "120.50",
            "labour": "2 days",
        }
    ]
    assert [(p.url, p.source) for p in record.photos] == [
        ("/generated/uploads/crack_d555b475.png", "fields.photo_url_0")
    ]
    assert [(s.role, s.source, s.is_data_url) for s in record.signatures] == [
        ("inspector", "fields.tech_signature", True),
        ("manager", "fields.op_signature", True),
    ]


def test_civil_multipart_with_file_part() -> None:
    record = sample("sub_9ca773b2a152")
    assert [p.url for p in record.photos] == [
        "/generated/uploads/site_24d51915.png",
        "/generated/uploads/crack_d555b475.png",
    ]


def test_civil_json() -> None:
    record = sample("sub_806b975e3b93")
    assert (record.shape, record.site_name, record.visit_date) == ("civil_json", "Marina Villa", dt.date(2025, 12, 20))
    assert record.fields["location"] == "Block 3" and record.fields["manager_name"] == "Omar"
    assert record.fields["estimated_completion"] == "2026-01-10"
    assert record.items[0].fields == {"item_number": "1", "description": "Patch plaster", "quantity": "3"}
    assert record.items[0].photos == ["/generated/uploads/crack_d555b475.png"]
    # manager_signature is "" (not drawn): only the inspector's is a signature.
    assert [s.role for s in record.signatures] == ["inspector"]


def test_cleaning_wrapped_ui_shape() -> None:
    record = sample("sub_6c3e992dc68d")
    assert (record.shape, record.module, record.site_name) == ("cleaning_wrapped", "cleaning", "Creek Tower")
    assert record.visit_date == dt.date(2025, 12, 20)
    assert record.created_at is not None and record.created_at.tzinfo is UTC
    assert record.fields["client_name"] == "Emaar" and record.fields["scope_offices"] == "True"
    assert [p.source for p in record.photos] == ["data.photo_url_0"]
    assert {s.role for s in record.signatures} == {"technician", "client"}


def test_cleaning_wrapped_with_photo_urls_is_deduplicated() -> None:
    record = sample("sub_f2a63d091aef")
    assert [p.url for p in record.photos] == ["/generated/uploads/lobby_4fee2ba9.png"]


def test_cleaning_flat_keeps_its_job_id() -> None:
    record = sample("sub_e93f6658c4cb")
    assert (record.shape, record.job_id) == ("cleaning_submit", "job_77978d8133f7")
    assert record.fields["waste_hazardous"] == "False"
    assert record.signatures == []  # "" means not signed
    assert "submission_id" not in record.fields and "base_url" not in record.fields


def test_module_hint_from_the_job_wins() -> None:
    record = sample("sub_0ea218030a6b", module_hint="civil")
    assert record.module == "civil"
    assert record.warnings == ["job meta.module 'civil' differs from the hvac_submit_with_urls shape"]


@pytest.mark.parametrize(
    ("job_id", "status", "progress", "excel", "pdf", "error"),
    [
        (
            "job_3cfa5257f6e9",
            "done",
            100,
            "HVAC_MEP_Tower_A_20261125_173551.xlsx",
            "HVAC_MEP_Tower_A_20261125_173551.pdf",
            "",
        ),
        (
            "job_1b616276793f",
            "done",
            100,
            "Civil_Marina_Villa_20261125_173601.xlsx",
            "Civil_Unknown_Project_20261125_173601.pdf",
            "",
        ),
        (
            "job_77978d8133f7",
            "done",
            100,
            "Cleaning_Assessment_Emaar_20261125_173605.xlsx",
            "Cleaning_Assessment_Emaar_20261125_173605.pdf",
            "",
        ),
        ("job_88f1d2ac5c91", "failed", 100, "", "", "No such file or directory"),
        ("job_e59eaaec673e", "failed", 0, "", "", "No such file or directory"),
        ("job_e6f96d7f58f7", "failed", 0, "", "", "No such file or directory"),
    ],
)
def test_job_result_shapes(job_id: str, status: str, progress: int, excel: str, pdf: str, error: str) -> None:
    record = job(job_id)
    assert (record.status, record.progress) == (status, progress)
    assert record.excel_url.endswith(excel) and record.pdf_url.endswith(pdf)
    assert (excel == "") == (record.excel_url == "")
    assert error in record.error_message and (error == "") == (record.error_message == "")


def test_job_timestamps_epoch_float_and_iso_string() -> None:
    hvac = job("job_3cfa5257f6e9")
    assert hvac.created_at == dt.datetime.fromtimestamp(1795628151.176358, tz=UTC)
    assert hvac.completed_at == dt.datetime.fromtimestamp(1795628151.1937895, tz=UTC)
    assert (hvac.submission_id, hvac.module) == ("sub_0ea218030a6b", "hvac_mep")
    cleaning_failure = job("job_e6f96d7f58f7")
    assert cleaning_failure.completed_at == dt.datetime(2026, 11, 25, 17, 36, 23, 334329, tzinfo=UTC)
    civil_failure = job("job_e59eaaec673e")
    assert civil_failure.completed_at is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty file"),
        (b"   \n", "file holds only whitespace"),
        (b'{"job_id": "job_1", "state": "run', "truncated JSON"),
        (b'{"a": 1,, }', "invalid JSON"),
        (b'{"site": "caf\xe9"}', "not valid UTF-8: byte 0xe9 at offset 13"),
        (b"[1, 2]", "JSON is a list, not an object"),
        (b'"text"', "JSON is a string, not an object"),
    ],
)
def test_bad_files_say_why(tmp_path: Path, raw: bytes, reason: str) -> None:
    path = tmp_path / "sub_000000000000.json"
    path.write_bytes(raw)
    with pytest.raises(LegacyFormatError, match=reason.replace("(", r"\(")):
        read_json_file(path)


def _typed(value: Any) -> Any:
    """A parsed document with every key order and scalar type spelled out, so ``==`` sees them."""
    if isinstance(value, dict):
        return [("dict", [(key, _typed(item)) for key, item in value.items()])]
    if isinstance(value, list):
        return [("list", [_typed(item) for item in value])]
    return (type(value).__name__, repr(value))


def _by_python_json(raw: bytes) -> Any:
    text = raw.decode("utf-8")
    return json.loads(text[1:] if text.startswith("\ufeff") else text)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "b": 2, "a": 3}',  # the last duplicate wins, in the first one's place
        b'{"n": 123456789012345678901234567890, "m": -9223372036854775809, "f": 1.5e308, "z": -0, "e": 1E+2}',
        b'{"x": 0.1, "y": 2.5e-7, "t": true, "u": null, "s": "\\/\\u00e9\\ud83d\\ude00"}',
        b'{"nan": NaN, "inf": Infinity}',  # Python's json only
        b'{"lone": "\\ud800"}',  # Python's json only: an unpaired surrogate escape
        b'{"big": 1e400}',  # Python's json only: infinity
        '\ufeff{"bom": "caf\u00e9 \u0645\u0648\u0642\u0639"}'.encode(),
        b'\n\t {"deep": [[[[[[[[[[{"a": [1, 2.0, "3"]}]]]]]]]]]]} \r\n',
    ],
)
def test_json_parsing_matches_python_json(raw: bytes) -> None:
    assert _typed(parse_json_bytes(raw)) == _typed(_by_python_json(raw))


def test_every_sample_parses_as_python_json_does() -> None:
    files = sorted(GENERATED.rglob("*.json"))
    assert len(files) > 10
    for path in files:
        raw = path.read_bytes()
        try:
            document = _by_python_json(raw)
        except ValueError:  # a truncated sample, or bytes that are not UTF-8
            with pytest.raises(LegacyFormatError):
                parse_json_bytes(raw)
            continue
        if isinstance(document, dict):
            assert _typed(parse_json_bytes(raw)) == _typed(document), path.name
        else:
            with pytest.raises(LegacyFormatError, match="not an object"):
                parse_json_bytes(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'\xef\xbb\xbf{"site": "caf\xe9"}', "not valid UTF-8: byte 0xe9 at offset 16"),
        (b'\xef\xbb\xbf\xef\xbb\xbf{"a": 1}', "invalid JSON"),  # one BOM is dropped, not two
        (b'{"a": 1} x', "invalid JSON: Extra data"),
        (b'{"a": 01}', "invalid JSON"),
        (b'{"a": "tab\there"}', "invalid JSON: Invalid control character"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_documents_python_json_refuses_are_refused_with_its_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(LegacyFormatError, match=reason):
        parse_json_bytes(raw)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b'{"x": "' + b"a" * 2000 + b'"}')
    with pytest.raises(LegacyFormatError, match="over the 1000-byte size cap"):
        read_json_file(path, max_bytes=1000)


@pytest.mark.parametrize(
    ("document", "stem", "reason"),
    [
        ({"submission_id": "sub_0ea218030a6b", "items": []}, "sub_111111111111", "does not match the file name"),
        ({"hello": "world"}, None, "unknown submission shape"),
        ({"items": []}, None, "has no submission id"),
        ({"submission_id": "sub_NOPE", "items": []}, None, "12 lowercase hex"),
    ],
)
def test_unreadable_documents(document: dict[str, Any], stem: str | None, reason: str) -> None:
    with pytest.raises(LegacyFormatError, match=reason):
        normalize_submission(document, stem=stem)


def test_unknown_job_state_and_mismatched_job_id() -> None:
    with pytest.raises(LegacyFormatError, match="state '' is not one of"):
        normalize_job({"job_id": "job_3cfa5257f6e9", "state": ""})
    with pytest.raises(LegacyFormatError, match="does not match the file name"):
        normalize_job({"job_id": "job_3cfa5257f6e9", "state": "done"}, stem="job_000000000000")


def test_production_variants_cloudinary_dicts_and_later_fields() -> None:
    cloud = "https://res.cloudinary.com/demo/image/upload/v1700000000/uploads/edla3z3p9htum1w0xyl5.jpg"
    record = normalize_submission(
        {
            "id": "sub_abcdefabcdef",
            "project_name": "Palm",
            "location": "Frond A",
            "visit_date": "2025-12-03",
            "inspector_signature": {"saved": None, "path": None, "url": cloud, "is_cloud": True},
            "manager_signature": None,
            "work_items": [
                {
                    "item_number": 1,
                    "description": "Tiles",
                    "material": "Ceramic",
                    "price": "10",
                    "photos": [{"url": cloud}],
                }
            ],
            "created_at": "2025-12-03T09:00:00",
        }
    )
    assert record.items[0].fields["material"] == "Ceramic" and record.items[0].fields["item_number"] == "1"
    assert record.signatures[0].value == cloud and not record.signatures[0].is_data_url
    assert record.created_at == dt.datetime(2025, 12, 3, 9, tzinfo=UTC)
    cleaning = normalize_submission(
        {
            "submission_id": "sub_abcdefabcde0",
            "data": {"client_name": "X", "date_of_visit": "bad", "tech_signature_url": cloud},
        }
    )
    assert cleaning.visit_date is None and cleaning.warnings == [
        "data.date_of_visit 'bad' is not a YYYY-MM-DD date; visit date left empty"
    ]
    assert cleaning.signatures[0].source == "data.tech_signature_url"
    assert detect_shape({"client_name": "only"}) == "cleaning_submit"


def test_atomic_write_round_trip_and_no_temp_left(tmp_path: Path) -> None:
    path = tmp_path / "submissions" / "sub_0ea218030a6b.json"
    document = {"submission_id": "sub_0ea218030a6b", "site_name": "برج", "items": []}
    atomic_write_json(path, document)
    assert read_json_file(path) == document
    assert "\\u0628" in path.read_text()  # ensure_ascii, as the old app wrote
    assert [p.name for p in path.parent.iterdir()] == ["sub_0ea218030a6b.json"]
    assert parse_json_bytes(json.dumps(document).encode()) == document


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "sub_0ea218030a6b.json"
    atomic_write_json(path, {"v": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"v": object()})
    assert read_json_file(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["sub_0ea218030a6b.json"]


def test_upload_urls_map_only_into_the_uploads_folder(tmp_path: Path) -> None:
    tree = LegacyTree(tmp_path)
    assert tree.upload_path_for_url("/generated/uploads/a.png") == tmp_path / "uploads" / "a.png"
    for url in [
        "/generated/uploads/../secret",
        "/generated/uploads/x/y.png",
        "https://cdn/x.png",
        "/generated/uploads/",
    ]:
        assert tree.upload_path_for_url(url) is None


def test_without_content_only_fields_and_items_are_left_out(tmp_path: Path) -> None:
    """The importer's ``content=False``: the same record minus ``fields`` and ``items``, on every
    real sample and on a generated tree of every shape (odd items and bad dates included)."""
    from tests.legacy_corpus import make_corpus

    made = make_corpus(tmp_path / "generated", 60, seed=9)
    paths = list(TREE.submission_files()) + sorted((made.root / "submissions").glob("*.json"))
    odd = {"id": "sub_0000000c0de1", "site_name": "x", "visit_date": "31/12/2024", "items": ["not an object", {}]}
    documents = [(read_json_file(path), path.stem) for path in paths] + [(odd, "sub_0000000c0de1")]
    for document, stem in documents:
        full = normalize_submission(document, stem=stem)
        light = normalize_submission(document, stem=stem, content=False)
        assert (light.fields, light.items) == ({}, [])
        full.fields, full.items = {}, []
        assert light == full, stem
    assert normalize_submission(odd, content=False).warnings == [
        "visit_date '31/12/2024' is not a YYYY-MM-DD date; visit date left empty",
        "items[0] is not an object; skipped",
    ]
