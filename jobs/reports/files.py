"""Opening the photos and signatures a submission refers to, as bytes, without HTTP.

A reference is what the document holds: a URL (Injaaz's storage, the legacy app's local
fallback ``/generated/uploads/<name>``, or Cloudinary), or a ``data:`` URL. Photo dicts written
by Injaaz also carry ``"name"``, the storage name, which is the reliable way back to the file.

Only files Injaaz holds are read: its configured storage, and the legacy ``uploads/`` folder
under ``INJAAZ_LEGACY_DIR``. Anything else (a Cloudinary URL from the old app's account, a
URL on another host) is "not available": reports never fetch URLs, least of all from the
server itself.
"""

from __future__ import annotations

import base64
import binascii
import errno
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import Storage, default_storage
from django.urls import reverse

from jobs.errors import TransientStorageError, is_transient
from submissions.legacy.files import NotARegularFileError, open_regular_file
from submissions.legacy.store import legacy_dir

logger = logging.getLogger(__name__)

# Photos are at most 10 MB on upload; signatures are small. Anything far larger is not a photo.
MAX_FILE_BYTES = 25 * 1024 * 1024

_DATA_URL_RE = re.compile(r"^data:(image/[a-z0-9.+-]+)?((?:;[a-z0-9=.+-]+)*);base64,", re.IGNORECASE)
_LEGACY_UPLOAD_RE = re.compile(r"(?:^|/)generated/uploads/([^/]+)$")
_MISSING_S3_CODES = {"404", "NoSuchKey", "NotFound", "403", "AccessDenied"}


def decode_data_url(value: str, *, max_bytes: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of a ``data:image/...;base64,`` URL, or ``None`` if it is not one or is too big."""
    match = _DATA_URL_RE.match(value)
    if match is None:
        return None
    payload = value[match.end() :]
    if len(payload) > (max_bytes * 4) // 3 + 4:
        return None
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def storage_names_in(document: Any) -> dict[str, str]:
    """Map each ``url`` to its storage ``name`` for every photo or signature dict in ``document``."""
    names: dict[str, str] = {}

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for node in walk(document):
        url, name = node.get("url"), node.get("name")
        if isinstance(url, str) and url and isinstance(name, str) and name:
            names.setdefault(url, name)
    return names


def _is_origin(url: str) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment


def _is_missing_s3_object(error: BaseException) -> bool:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in _MISSING_S3_CODES


class ReportFiles:
    """Opens a submission's photo and signature references; ``None`` means "image not available".

    Raises ``TransientStorageError`` when the storage itself cannot be reached, so the job is
    retried rather than rendered with holes.
    """

    def __init__(
        self,
        *,
        storage: Storage | None = None,
        names: Mapping[str, str] | None = None,
        legacy_dir: Path | None = None,
        media_url: str | None = None,
        max_bytes: int = MAX_FILE_BYTES,
        base_url: str = "",
    ) -> None:
        self.storage = storage if storage is not None else default_storage
        self.names = dict(names or {})
        self.base_url = base_url.rstrip("/") if _is_origin(base_url) else ""
        self.legacy_dir = legacy_dir
        self.media_path = urlsplit(media_url if media_url is not None else settings.MEDIA_URL or "").path
        self.max_bytes = max_bytes

    @classmethod
    def for_document(cls, document: Any, **options: Any) -> ReportFiles:
        options.setdefault("legacy_dir", legacy_dir())
        if isinstance(document, dict) and isinstance(document.get("base_url"), str):
            options.setdefault("base_url", document["base_url"])
        return cls(names=storage_names_in(document), **options)

    def download_link(self, reference: str) -> str:
        """The absolute link a reader of the report follows to a photo, or "" when there is none.

        A photo Injaaz stores: its authorised download route (``/files/<name>``, which checks the
        reader may see the submission) on the site the submission was made on (the document's
        ``base_url``). A web URL (an old Cloudinary photo): itself. A path on the site: joined to
        ``base_url``. An embedded ``data:`` image has no link.
        """
        if not reference or reference.startswith("data:"):
            return ""
        name = self.names.get(reference)
        if name is not None and self.base_url:
            return self.base_url + reverse("stored_file", kwargs={"name": name})
        parts = urlsplit(reference)
        if parts.scheme in ("http", "https") and parts.netloc:
            return reference
        if self.base_url and reference.startswith("/") and not reference.startswith("//"):
            return self.base_url + reference
        return ""

    def storage_name(self, reference: str) -> str | None:
        """The storage name ``reference`` points to, if it is one of Injaaz's stored files."""
        if reference in self.names:
            return self.names[reference]
        path = urlsplit(reference).path
        if self.media_path and self.media_path != "/" and path.startswith(self.media_path):
            name = unquote(path[len(self.media_path) :])
            return name or None
        return None

    def legacy_upload_path(self, reference: str) -> Path | None:
        """The file in the legacy ``uploads/`` folder a local-fallback URL names, if it is there."""
        if self.legacy_dir is None:
            return None
        match = _LEGACY_UPLOAD_RE.search(urlsplit(reference).path)
        if match is None:
            return None
        uploads = (self.legacy_dir / "uploads").resolve()
        candidate = (uploads / unquote(match.group(1))).resolve()
        if candidate.parent != uploads or not candidate.is_file():
            return None
        return candidate

    def open(self, reference: str) -> bytes | None:
        if not reference:
            return None
        if reference.startswith("data:"):
            return decode_data_url(reference, max_bytes=self.max_bytes)
        name = self.storage_name(reference)
        if name is not None:
            return self.read_stored(name)
        legacy = self.legacy_upload_path(reference)
        if legacy is not None:
            return self._read_legacy(legacy)
        return None

    def read_stored(self, name: str) -> bytes | None:
        try:
            with self.storage.open(name, "rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except (FileNotFoundError, SuspiciousFileOperation):
            return None
        except Exception as error:
            if _is_missing_s3_object(error):
                return None
            if is_transient(error):
                raise TransientStorageError(f"could not read {name!r} from storage: {error}") from error
            logger.warning("Stored file %r could not be read: %s", name, error)
            return None
        if not isinstance(data, bytes) or len(data) > self.max_bytes:
            return None
        return data

    def _read_legacy(self, path: Path) -> bytes | None:
        try:
            with open_regular_file(path) as handle:  # a named pipe in the tree must not block the worker
                data = handle.read(self.max_bytes + 1)
        except (FileNotFoundError, NotARegularFileError):
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                return None
            raise TransientStorageError(f"could not read legacy upload {path.name!r}: {error}") from error
        return data if len(data) <= self.max_bytes else None
