"""Each storage backend against its local peer: the filesystem, S3 (moto's server), Cloudinary
(a stand-in of its API reached by the real SDK). Photos and signatures go through the same views
the inspectors use; a storage that fails leaves nothing half-saved."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from PIL import Image

from injaaz.storages import CloudinaryStorage, StorageUnavailableError
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import hvac_post, image_bytes, signature_data_url, upload_photo
from tests.storage_peers import CloudinaryStandIn, MotoS3, cloudinary_standin_server, moto_s3_server

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def submit_with_photo_and_signature(client: Client) -> tuple[Submission, dict[str, Any]]:
    photo = upload_photo(client)
    data = hvac_post(tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    response = client.post("/hvac-mep/form", data)
    assert response.status_code == 303, response.content.decode()[:2000]
    return Submission.objects.get(), photo


def follow_to_bytes(client: Client, name: str) -> bytes:
    """The file as the browser gets it: through our view, then the backend's signed link."""
    response = client.get(f"/files/{name}")
    assert response.status_code == 302, response
    fetched = urllib3.request("GET", response["Location"], timeout=10)
    assert fetched.status == 200, fetched.data[:200]
    return bytes(fetched.data)


def assert_nothing_saved() -> None:
    assert Submission.objects.count() == 0
    assert UploadedFile.objects.filter(file_type="signature").count() == 0


# --- S3 ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoS3]:
    with moto_s3_server() as server:
        yield server


@pytest.fixture
def s3_bucket(settings: Any, moto_s3: MotoS3) -> str:
    bucket = f"injaaz-{uuid.uuid4().hex[:10]}"
    moto_s3.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": moto_s3.storage_settings(bucket)}
    return bucket


def bucket_keys(moto_s3: MotoS3, bucket: str) -> set[str]:
    listing = moto_s3.client().list_objects_v2(Bucket=bucket)
    return {entry["Key"] for entry in listing.get("Contents", [])}


def test_s3_stores_photos_and_signatures_privately(
    client: Client,
    inspector: Any,
    moto_s3: MotoS3,
    s3_bucket: str,
) -> None:
    client.force_login(inspector)
    submission, photo = submit_with_photo_and_signature(client)
    rows = UploadedFile.objects.filter(submission=submission)
    assert bucket_keys(moto_s3, s3_bucket) == {row.storage_name for row in rows}
    for row in rows:
        assert row.cloudinary_url == f"/files/{row.storage_name}"  # served through our permission check
        data = follow_to_bytes(client, row.storage_name)
        assert len(data) == row.file_size and Image.open(io.BytesIO(data)).format in ("JPEG", "PNG")
    redirect = client.get(f"/files/{photo['name']}")["Location"]
    assert "X-Amz-Signature=" in redirect and "X-Amz-Expires=300" in redirect


def test_s3_failure_fails_the_upload_and_the_submission_cleanly(
    client: Client,
    inspector: Any,
    settings: Any,
    moto_s3: MotoS3,
    s3_bucket: str,
) -> None:
    client.force_login(inspector)
    photo = upload_photo(client)  # stored while the bucket is there
    settings.STORAGES = {**settings.STORAGES, "default": moto_s3.storage_settings("no-such-bucket-anywhere")}
    file = io.BytesIO(image_bytes())
    file.name = "a.jpg"
    refused = client.post("/hvac-mep/upload-photo", {"photo": file})
    assert refused.status_code == 503
    assert refused.json()["success"] is False and "Try this photo again" in refused.json()["error"]
    assert UploadedFile.objects.count() == 1

    data = hvac_post(site_name="Kept site", tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    response = client.post("/hvac-mep/form", data)
    assert response.status_code == 503
    html = response.content.decode()
    assert "nothing was saved" in html and "Press Submit again" in html and 'value="Kept site"' in html
    assert_nothing_saved()
    assert UploadedFile.objects.get(pk=photo["id"]).submission is None  # still waiting for the retry

    settings.STORAGES = {**settings.STORAGES, "default": moto_s3.storage_settings(s3_bucket)}
    assert client.post("/hvac-mep/form", data).status_code == 303  # the same form, retried


# --- Cloudinary --------------------------------------------------------------------------------


@pytest.fixture
def cloudinary_standin() -> Iterator[CloudinaryStandIn]:
    with cloudinary_standin_server() as standin:
        yield standin


@pytest.fixture
def cloudinary(settings: Any, cloudinary_standin: CloudinaryStandIn) -> CloudinaryStandIn:
    settings.STORAGES = {**settings.STORAGES, "default": cloudinary_standin.storage_settings()}
    return cloudinary_standin


def test_cloudinary_records_public_id_and_url(client: Client, inspector: Any, cloudinary: CloudinaryStandIn) -> None:
    client.force_login(inspector)
    submission, photo = submit_with_photo_and_signature(client)
    rows = list(UploadedFile.objects.filter(submission=submission).order_by("file_type"))
    assert {(key[0], key[1], key[2]) for key in cloudinary.assets} == {
        ("image", "authenticated", row.cloudinary_public_id) for row in rows
    }
    for row in rows:
        assert row.storage_name.startswith(row.cloudinary_public_id + ".")
        assert row.cloudinary_url.startswith(
            f"https://res.cloudinary.com/{cloudinary.cloud_name}/image/authenticated/s--"
        )
        assert row.cloudinary_url.endswith(row.storage_name.rsplit("/", 1)[1])
        stored = cloudinary.assets[("image", "authenticated", row.cloudinary_public_id)]
        assert follow_to_bytes(client, row.storage_name) == stored["data"]
    document = submission.form_data
    assert document["items"][0]["photos"][0]["url"] == photo["url"] == rows[0].cloudinary_url
    assert document["tech_signature"]["url"] == rows[1].cloudinary_url


def test_cloudinary_storage_api(cloudinary: CloudinaryStandIn) -> None:
    storage = storages["default"]
    assert isinstance(storage, CloudinaryStorage)
    name = storage.save("reports/2026/11/abc.pdf", ContentFile(b"%PDF-1.7 report"))
    assert name == "reports/2026/11/abc.pdf"
    assert ("raw", "authenticated", "reports/2026/11/abc.pdf") in cloudinary.assets  # raw keeps the extension
    assert storage.exists(name) and not storage.exists("reports/2026/11/missing.pdf")
    assert storage.size(name) == 15
    with storage.open(name) as handle:
        assert handle.read() == b"%PDF-1.7 report"
    link = storage.url(name)
    assert link.startswith(cloudinary.upload_prefix + f"/v1_1/{cloudinary.cloud_name}/raw/download?")
    assert "expires_at=" in link and "signature=" in link
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)


def test_cloudinary_refuses_a_wrong_secret(cloudinary: CloudinaryStandIn) -> None:
    storage = CloudinaryStorage(
        cloud_name=cloudinary.cloud_name,
        api_key=cloudinary.api_key,
        api_secret="not-the-secret",
        upload_prefix=cloudinary.upload_prefix,
    )
    with pytest.raises(StorageUnavailableError, match="Invalid Signature"):
        storage.save("uploads/x.jpg", ContentFile(image_bytes()))
    assert cloudinary.assets == {}


def test_cloudinary_failure_fails_the_submission_cleanly(
    client: Client, inspector: Any, cloudinary: CloudinaryStandIn
) -> None:
    client.force_login(inspector)
    photo = upload_photo(client)
    cloudinary.fail_uploads = True
    file = io.BytesIO(image_bytes())
    file.name = "b.jpg"
    assert client.post("/civil/upload-photo", {"photo": file}).status_code == 503
    data = hvac_post(tech_signature=signature_data_url(), opman_signature=signature_data_url("blue"))
    data["items-0-photo_ids"] = str(photo["id"])
    response = client.post("/hvac-mep/form", data)
    assert response.status_code == 503
    assert "Saving the signatures to storage failed" in response.content.decode()
    assert_nothing_saved()
    assert len(cloudinary.assets) == 1  # only the photo stored before the outage
    cloudinary.fail_uploads = False
    assert client.post("/hvac-mep/form", data).status_code == 303
    assert len(cloudinary.assets) == 3


def test_a_submission_that_fails_after_storing_signatures_removes_them(
    client: Client, inspector: Any, cloudinary: CloudinaryStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo was claimed by another submission meanwhile: the whole submit rolls back and the
    signature it had already stored is deleted from the storage again."""
    client.force_login(inspector)
    photo = upload_photo(client)
    data = hvac_post(tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    from submissions.inspector import submit as submit_module

    original = submit_module.submission_create

    def claim_first(**kwargs: Any) -> Any:
        other = Submission.objects.create(module="civil", form_data={"x": 1})
        UploadedFile.objects.filter(pk=photo["id"]).update(submission=other)
        return original(**kwargs)

    monkeypatch.setattr(submit_module, "submission_create", claim_first)
    response = client.post("/hvac-mep/form", data)
    assert response.status_code == 409
    assert "already used or removed" in response.content.decode()
    assert Submission.objects.filter(module="hvac_mep").count() == 0
    assert UploadedFile.objects.filter(file_type="signature").count() == 0
    assert [key for key in cloudinary.assets if key[2].startswith("signatures/")] == []


# --- configuration --------------------------------------------------------------------------------


def manage_check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INJAAZ_", "CLOUDINARY"))}
    clean.update(env, DEBUG="1", DJANGO_SETTINGS_MODULE="injaaz.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INJAAZ_STORAGE": "s3"}, "INJAAZ_STORAGE=s3 needs INJAAZ_S3_BUCKET."),
        ({"INJAAZ_STORAGE": "cloudinary"}, "INJAAZ_STORAGE=cloudinary needs CLOUDINARY_URL="),
        ({"INJAAZ_STORAGE": "cloudinary", "CLOUDINARY_URL": "https://x"}, "INJAAZ_STORAGE=cloudinary needs"),
        ({"INJAAZ_STORAGE": "ftp"}, "INJAAZ_STORAGE must be one of filesystem, s3, cloudinary"),
    ],
)
def test_storage_configuration_errors_are_clear(env: dict[str, str], message: str) -> None:
    result = manage_check(**env)
    assert result.returncode != 0 and message in result.stderr


def test_storage_configuration_from_the_environment() -> None:
    s3 = manage_check(INJAAZ_STORAGE="s3", INJAAZ_S3_BUCKET="reports", INJAAZ_S3_ENDPOINT_URL="http://127.0.0.1:9")
    assert s3.returncode == 0, s3.stderr
    cloud = manage_check(INJAAZ_STORAGE="cloudinary", CLOUDINARY_URL="cloudinary://key:secret@cloud")
    assert cloud.returncode == 0, cloud.stderr
