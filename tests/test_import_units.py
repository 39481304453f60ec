"""The importer's small parts: Cloudinary public ids, data URLs, canonical hashes, the scan, COPY escaping."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from submissions.importer.canonical import canonical_json, content_hash, text_content_hash
from submissions.importer.cleanup import parse_duration
from submissions.importer.outcomes import FileKind
from submissions.importer.pipeline import scan_folder
from submissions.importer.refs import cloudinary_public_id, data_url_size, embedded_marker, file_refs
from submissions.importer.worker import Known, WorkerConfig, process_chunk
from submissions.legacy.records import NormalizedSubmission, PhotoRef, SignatureRef


@pytest.mark.parametrize(
    ("url", "public_id"),
    [
        (
            "https://res.cloudinary.com/injaaz/image/upload/v1734567890/uploads/edla3z3p9htum1w0xyl5.jpg",
            "uploads/edla3z3p9htum1w0xyl5",
        ),
        ("https://res.cloudinary.com/injaaz/image/upload/v1/civil_photos/a/b.c.png", "civil_photos/a/b.c"),
        ("https://res.cloudinary.com/injaaz/image/upload/c_fill,w_300/v17/hvac_photos/x.jpg", "hvac_photos/x"),
        ("https://res.cloudinary.com/injaaz/image/upload/w_300/cleaning_photos/y.jpg?_a=1", "cleaning_photos/y"),
        ("https://res.cloudinary.com/injaaz/image/upload/v2/uploads/caf%C3%A9.jpg", "uploads/café"),
        ("https://res.cloudinary.com/injaaz/raw/upload/v3/reports/r.xlsx", "reports/r.xlsx"),
        ("/generated/uploads/ahu_photo_69a6c9b4.png", ""),
        ("https://example.com/image/upload/v1/a.jpg", ""),
    ],
)
def test_cloudinary_public_id(url: str, public_id: str) -> None:
    assert cloudinary_public_id(url) == public_id


def test_data_url_signature_becomes_a_marker_row() -> None:
    data_url = "data:image/png;base64,iVBORw0KGgo="  # 8 bytes
    record = NormalizedSubmission(
        submission_id="sub_000000000001",
        module="civil",
        shape="civil_json",
        photos=[
            PhotoRef("https://res.cloudinary.com/c/image/upload/v1/civil_photos/p.jpg", 0, "work_items[0].photos[0]")
        ],
        signatures=[
            SignatureRef("inspector", data_url, "inspector_signature"),
            SignatureRef("manager", data_url, "manager_signature"),  # the same image: one row
        ],
    )
    refs = file_refs(record)
    assert [
        (ref.position, ref.url, ref.file_type, ref.public_id, ref.original_filename, ref.file_size) for ref in refs
    ] == [
        (
            0,
            "https://res.cloudinary.com/c/image/upload/v1/civil_photos/p.jpg",
            "photo",
            "civil_photos/p",
            "p.jpg",
            None,
        ),
        (1, embedded_marker(data_url), "signature", "", "inspector_signature.png", 8),
    ]
    assert data_url_size("data:image/png,notbase64") is None


def test_canonical_hash_ignores_order_whitespace_escapes_and_number_spelling() -> None:
    document = {"b": [1, 2.5, 1.5e3], "a": "café", "c": {"y": None, "x": True}}
    spelled_differently = '{"c": {"x": true, "y": null}, "a": "caf\\u00e9", "b": [1.0, 2.50, 1500]}'
    assert text_content_hash(spelled_differently) == content_hash(document)
    assert canonical_json(document) == '{"a":"café","b":[1,2.5,1500],"c":{"x":true,"y":null}}'.encode()
    assert content_hash({"a": "1"}) != content_hash({"a": 1})


def test_scan_sorts_and_reports_what_is_not_a_record(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    folder = root / "submissions"
    folder.mkdir(parents=True)
    for name in ("sub_000000000002.json", "sub_000000000001.json", "README", ".sub_x.json.tmp"):
        (folder / name).write_text("{}")
    (folder / "nested").mkdir()
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}")
    os.symlink(outside, folder / "sub_000000000003.json")
    os.symlink(folder / "sub_000000000001.json", folder / "sub_000000000004.json")  # inside: fine
    paths, problems = scan_folder(root, "submissions")
    assert paths == [
        "submissions/sub_000000000001.json",
        "submissions/sub_000000000002.json",
        "submissions/sub_000000000004.json",
    ]
    assert problems == [
        ("submissions/README", "not a JSON file (stray file in the tree)"),
        ("submissions/nested", "is a directory, not a file"),
        ("submissions/sub_000000000003.json", f"link points outside the tree (to {outside})"),
    ]
    assert scan_folder(root, "jobs") == ([], [])


def test_worker_rows_are_valid_copy_text(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    (root / "submissions").mkdir(parents=True)
    document = {"submission_id": "sub_000000000001", "site_name": "Tab\there\\n", "items": [], "note": "line\nbreak"}
    raw = json.dumps(document, indent=2)
    (root / "submissions" / "sub_000000000001.json").write_text(raw)
    config = WorkerConfig(root=str(root), size_cap=1024, copy_format=True)
    result = process_chunk(FileKind.SUBMISSION, [("submissions/sub_000000000001.json", None)], config)
    [parsed] = result.parsed
    fields = parsed.copy_row.decode().rstrip("\n").split("\t")
    assert len(fields) == 13
    assert fields[5] == "Tab\\there\\\\n"  # COPY text escapes: tab, backslash
    assert "\n" not in parsed.copy_row.decode().rstrip("\n")
    unescape = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    assert re.sub(r"\\(.)", lambda match: unescape[match.group(1)], fields[12]) == raw
    # Written just now: its modification time is not kept for the quick check (a change within the
    # same clock tick would keep it).
    assert fields[11] == "\\N" and parsed.mtime_ns is None
    # The ledger's hash for these bytes: the same file is then not even parsed.
    again = process_chunk(
        FileKind.SUBMISSION, [("submissions/sub_000000000001.json", Known(parsed.file_hash, parsed.size, None))], config
    )
    assert again.unchanged == ["submissions/sub_000000000001.json"] and not again.parsed
    assert again.fingerprints == []
    # An hour old: the time is settled, so it goes into the row, and an unchanged file reports it.
    path = root / "submissions" / "sub_000000000001.json"
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))
    [settled] = process_chunk(FileKind.SUBMISSION, [("submissions/sub_000000000001.json", None)], config).parsed
    assert settled.copy_row.split(b"\t")[11] == str(hour_ago).encode() and settled.mtime_ns == hour_ago
    again = process_chunk(
        FileKind.SUBMISSION, [("submissions/sub_000000000001.json", Known(parsed.file_hash, parsed.size, None))], config
    )
    assert again.fingerprints == [("submissions/sub_000000000001.json", hour_ago)]
    # Given that size and time, the quick check does not read the file: a change keeping both goes unseen...
    known = Known(parsed.file_hash, path.stat().st_size, hour_ago)
    path.write_bytes(path.read_bytes().replace(b"line", b"LINE"))
    os.utime(path, ns=(hour_ago, hour_ago))
    quick = process_chunk(FileKind.SUBMISSION, [("submissions/sub_000000000001.json", known)], config)
    assert quick.unchanged == ["submissions/sub_000000000001.json"] and not quick.parsed and not quick.fingerprints
    # ...and without the time (--rehash) the file is read and found changed.
    known = Known(parsed.file_hash, path.stat().st_size, None)
    [changed] = process_chunk(FileKind.SUBMISSION, [("submissions/sub_000000000001.json", known)], config).parsed
    assert changed.changed and changed.file_hash != parsed.file_hash
    big = process_chunk(
        FileKind.SUBMISSION, [("submissions/sub_000000000001.json", None)], WorkerConfig(str(root), 10, True)
    )
    assert big.problems == [
        ("submissions/sub_000000000001.json", f"file is {len(raw)} bytes, over the 10-byte size cap")
    ]


def test_parse_duration() -> None:
    assert parse_duration("7d").days == 7
    assert parse_duration("12h").total_seconds() == 12 * 3600
    assert parse_duration("2w").days == 14
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("7 days")
