"""Storage backends chosen by ``INJAAZ_STORAGE``: Django's filesystem storage, S3 through
django-storages, and Cloudinary through its SDK (this module).

Everything that keeps a photo, a signature or a report goes through Django's storage API
(``django.core.files.storage.default_storage``), so changing the backend is configuration.

``CloudinaryStorage`` keeps each file under a public id derived from its storage name
(``uploads/2026/11/<hex>.jpg`` → public id ``uploads/2026/11/<hex>``, format ``jpg``; files that
are not images are ``raw`` resources whose public id keeps the extension). Every call, reading
included, goes through the API host (``upload_prefix``): reads use signed, expiring
``private_download_url`` links, so assets can be ``authenticated`` (never public) and a local
stand-in of the API serves the tests.
"""

from __future__ import annotations

import mimetypes
import posixpath
import time
from io import BytesIO
from typing import IO, Any

import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import urllib3
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

IMAGE_FORMATS = {"jpg", "jpeg", "png", "webp", "gif"}


class StorageUnavailableError(OSError):
    """The storage service refused or could not be reached; the caller may retry later."""


@deconstructible
class CloudinaryStorage(Storage):
    def __init__(
        self,
        *,
        cloud_name: str = "",
        api_key: str = "",
        api_secret: str = "",
        upload_prefix: str = "",
        delivery_type: str = "authenticated",
        url_expiry: int = 300,
        timeout: float = 30.0,
    ) -> None:
        self.cloud_name = cloud_name
        self.api_key = api_key
        self.api_secret = api_secret
        self.upload_prefix = upload_prefix or "https://api.cloudinary.com"
        self.delivery_type = delivery_type
        self.url_expiry = url_expiry
        self.timeout = timeout

    # --- names ---------------------------------------------------------------------------

    @staticmethod
    def resource(name: str) -> tuple[str, str, str]:
        """``(public_id, format, resource_type)`` of a storage name."""
        stem, extension = posixpath.splitext(name)
        extension = extension.lstrip(".").lower()
        if extension in IMAGE_FORMATS:
            return stem, extension, "image"
        return name, "", "raw"

    def _options(self, resource_type: str) -> dict[str, Any]:
        return {
            "cloud_name": self.cloud_name,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "upload_prefix": self.upload_prefix,
            "resource_type": resource_type,
            "type": self.delivery_type,
        }

    def public_url(self, name: str) -> str:
        """A permanent signed delivery URL (``res.cloudinary.com``), the form the old app stored."""
        public_id, file_format, resource_type = self.resource(name)
        url, _ = cloudinary.utils.cloudinary_url(
            public_id,
            format=file_format or None,
            resource_type=resource_type,
            type=self.delivery_type,
            sign_url=self.delivery_type != "upload",
            secure=True,
            cloud_name=self.cloud_name,
            api_key=self.api_key,
            api_secret=self.api_secret,
        )
        return str(url)

    # --- Storage API ---------------------------------------------------------------------

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Injaaz generates unique names; uploads are refused rather than overwritten.
        return name

    def _save(self, name: str, content: File) -> str:
        public_id, _, resource_type = self.resource(name)
        content.seek(0)
        data = content.read()
        try:
            cloudinary.uploader.upload(
                (posixpath.basename(name), data),
                public_id=public_id,
                overwrite=False,
                unique_filename=False,
                use_filename=False,
                timeout=self.timeout,
                **self._options(resource_type),
            )
        except (cloudinary.exceptions.Error, urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailableError(f"Cloudinary upload of {name} failed: {error}") from error
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode:
            raise ValueError("CloudinaryStorage files are read-only once stored")
        response = urllib3.request("GET", self._download_url(name), timeout=self.timeout, retries=2)
        if response.status == 404:
            raise FileNotFoundError(name)
        if response.status != 200:
            raise StorageUnavailableError(f"Cloudinary download of {name} answered HTTP {response.status}")
        return ContentFile(response.data, name=name)

    def delete(self, name: str) -> None:
        public_id, _, resource_type = self.resource(name)
        try:
            cloudinary.uploader.destroy(public_id, timeout=self.timeout, **self._options(resource_type))
        except (cloudinary.exceptions.Error, urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailableError(f"Cloudinary delete of {name} failed: {error}") from error

    def exists(self, name: str) -> bool:
        public_id, _, resource_type = self.resource(name)
        try:
            cloudinary.api.resource(public_id, **self._options(resource_type))
        except cloudinary.exceptions.NotFound:
            return False
        except (cloudinary.exceptions.Error, urllib3.exceptions.HTTPError, OSError) as error:
            raise StorageUnavailableError(f"Cloudinary lookup of {name} failed: {error}") from error
        return True

    def size(self, name: str) -> int:
        public_id, _, resource_type = self.resource(name)
        try:
            details = cloudinary.api.resource(public_id, **self._options(resource_type))
        except cloudinary.exceptions.NotFound as error:
            raise FileNotFoundError(name) from error
        return int(details["bytes"])

    def url(self, name: str | None) -> str:
        """A short-lived signed link (``url_expiry`` seconds) to the file, for a redirect."""
        if not name:
            raise ValueError("no name")
        return self._download_url(name, attachment=False)

    def _download_url(self, name: str, *, attachment: bool = False) -> str:
        public_id, file_format, resource_type = self.resource(name)
        options = self._options(resource_type)
        return str(
            cloudinary.utils.private_download_url(
                public_id,
                file_format,
                expires_at=int(time.time()) + self.url_expiry,
                attachment=attachment or None,
                **options,
            )
        )


def content_type_for(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def read_bytes(storage: Storage, name: str) -> bytes:
    """The whole file (photos and signatures are small)."""
    handle: IO[bytes]
    with storage.open(name, "rb") as handle:
        data = handle.read()
    return data if isinstance(data, bytes) else BytesIO(data).getvalue()
