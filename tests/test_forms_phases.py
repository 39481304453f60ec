"""The forms write through the phase router: in ``dual`` the legacy file is the document, in the
old app's shape, read back by the legacy parser; in ``json`` there is no row to point at."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from submissions.legacy.store import legacy_tree, submission_file_read
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import (
    civil_post,
    cleaning_post,
    hvac_post,
    hvac_taxonomy_seed,
    signature_data_url,
    upload_photo,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    hvac_taxonomy_seed()
    client.force_login(inspector)
    return client


@pytest.mark.parametrize(
    ("path", "post", "shape_keys"),
    [
        ("/hvac-mep/form", hvac_post, ("submission_id", "items", "opMan_signature")),
        ("/civil/form", civil_post, ("id", "work_items", "manager_signature")),
        ("/cleaning/form", cleaning_post, ("submission_id", "client_name", "contact_signature")),
    ],
)
def test_dual_phase_writes_the_file_the_old_app_reads(
    client_in: Client, settings: Any, path: str, post: Any, shape_keys: tuple[str, ...]
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    response = client_in.post(path, post())
    assert response.status_code == 303, response.content.decode()[:2000]
    row = Submission.objects.get()
    file = submission_file_read(row.submission_id)
    assert file is not None
    assert file.document == row.form_data  # form_data IS the file
    raw = file.path.read_text()
    assert raw.startswith("{\n  ") and raw.isascii()  # json.dump, indent 2, ensure_ascii
    assert all(key in file.document for key in shape_keys)
    record = file.record
    assert (record.submission_id, record.module, record.site_name) == (row.submission_id, row.module, row.site_name)
    assert record.visit_date == row.visit_date
    # The page reads it back through the router (in dual: the file's document).
    assert client_in.get(f"/submissions/{row.submission_id}/").status_code == 200


def test_dual_phase_photo_and_signature_references_parse(client_in: Client, settings: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    photo = upload_photo(client_in)
    data = hvac_post(tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    assert client_in.post("/hvac-mep/form", data).status_code == 303
    record = submission_file_read(Submission.objects.get().submission_id).record  # type: ignore[union-attr]
    assert [(ref.url, ref.item) for ref in record.photos] == [(photo["url"], 0)]
    assert [signature.role for signature in record.signatures] == ["technician"]


def test_json_phase_writes_no_row_and_keeps_files_with_their_uploader(
    client_in: Client, settings: Any, inspector: Any
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "json"
    photo = upload_photo(client_in)
    data = hvac_post(tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    response = client_in.post("/hvac-mep/form", data)
    assert response.status_code == 200  # no owner is recorded in a legacy file: a confirmation page
    assert Submission.objects.count() == 0
    match = re.search(r"sub_[0-9a-f]{12}", response.content.decode())
    assert match is not None
    document = json.loads(legacy_tree().submission_path(match.group()).read_text())
    assert document["submission_id"] == match.group()
    assert UploadedFile.objects.filter(submission__isnull=False).count() == 0
    signature = UploadedFile.objects.get(file_type="signature")
    assert (signature.uploaded_by, signature.storage_name) == (inspector, document["tech_signature"]["name"])


@pytest.mark.parametrize(
    ("path", "post", "photo_key"),
    [
        ("/hvac-mep/form", hvac_post, "items-0-photo_ids"),
        ("/civil/form", civil_post, "work-0-photo_ids"),
        ("/cleaning/form", cleaning_post, "photo_ids"),
    ],
)
def test_a_dual_phase_file_imports_into_the_same_record(
    client_in: Client, settings: Any, tmp_path: Any, path: str, post: Any, photo_key: str
) -> None:
    """The backfill's view of a dual-written file is the record the form created (issue 3)."""
    from tests.import_helpers import import_tree

    settings.INJAAZ_STORAGE_PHASE = "dual"
    settings.INJAAZ_LEGACY_DIR = tmp_path / "generated"
    photo = upload_photo(client_in, path.split("/")[1])
    data = post()
    data[photo_key] = str(photo["id"])
    assert client_in.post(path, data).status_code == 303
    original = Submission.objects.get()
    columns = ("submission_id", "module", "site_name", "visit_date", "form_data")
    before = {name: getattr(original, name) for name in columns}
    photos_before = sorted(original.files.filter(file_type="photo").values_list("cloudinary_url", flat=True))
    assert photos_before == [photo["url"]]
    # A database that never received the row (say, dual write was switched on later): the importer
    # rebuilds it from the file alone.
    Submission.objects.all().delete()
    out, _, status = import_tree(legacy_tree().root)
    assert (out[0], status) == ("Submissions: 1 total, 1 imported, 0 already present, 0 conflicts, 0 failed", 0)
    imported = Submission.objects.get()
    assert {name: getattr(imported, name) for name in columns} == before
    assert sorted(imported.files.filter(file_type="photo").values_list("cloudinary_url", flat=True)) == photos_before
    # created_at comes from the document's own timestamp, taken in the same request.
    assert abs((imported.created_at - original.created_at).total_seconds()) < 5
