"""From a normalised submission's photo and signature references to ``uploaded_files`` rows.

- A Cloudinary URL keeps its URL; its public id is parsed from it
  (``https://res.cloudinary.com/<cloud>/image/upload/[<transformations>/][v<version>/]<public_id>.<ext>``).
- A local-fallback URL (``/generated/uploads/<name>``) keeps its URL, with the file's size when
  the file is still in ``uploads/``; ``import_json --copy-uploads`` later copies the file into
  the configured storage and points the row there (``submissions.importer.uploads``).
- A data-URL signature is not a file anywhere: the signature stays, verbatim, in ``form_data``
  and its row gets the marker ``embedded:sha256:<hash of the data URL>`` (no URL can be built
  for it), file type ``signature``, and the decoded size. ``--copy-uploads`` decodes it into
  storage and replaces the marker with the stored file's URL.

The natural key of a row is (submission, URL): one row per URL per submission, which the importer
keeps (no database constraint: Injaaz itself may attach one URL twice).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from submissions.legacy.records import NormalizedSubmission

EMBEDDED_PREFIX = "embedded:sha256:"
LOCAL_PREFIX = "/generated/uploads/"
_CLOUDINARY = re.compile(
    r"^https?://res\.cloudinary\.com/[^/]+/(?P<resource>image|video|raw)/(?:upload|private|authenticated)/(?P<rest>.+)$"
)
_COMMON = re.compile(r"^https://res\.cloudinary\.com/[^/]+/image/upload/v\d+/([^?#%]+)\.[A-Za-z0-9]+$")
_VERSION = re.compile(r"^v\d+$")
_TRANSFORMATION = re.compile(r"^(?:[a-z]{1,3}_[^/]*|.*,.*)$")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*),", re.ASCII)
MAX_NAME = 255


class FileRef(NamedTuple):
    position: int
    url: str  # the row's cloudinary_url: the URL, or the embedded marker
    file_type: str  # photo / signature
    public_id: str
    original_filename: str
    file_size: int | None


def cloudinary_public_id(url: str) -> str:
    """The Cloudinary public id in a delivery URL (folder included, extension dropped), or ``""``."""
    if "res.cloudinary.com/" not in url:
        return ""
    common = _COMMON.match(url)  # the production form, without transformations
    if common:
        return common.group(1)[:MAX_NAME]
    match = _CLOUDINARY.match(url.split("?", 1)[0].split("#", 1)[0])
    if not match:
        return ""
    segments = [
        unquote(segment) if "%" in segment else segment for segment in match.group("rest").split("/") if segment
    ]
    versions = [index for index, segment in enumerate(segments) if _VERSION.match(segment)]
    if versions:
        segments = segments[versions[0] + 1 :]
    else:
        while len(segments) > 1 and _TRANSFORMATION.match(segments[0]):
            segments = segments[1:]
    if not segments:
        return ""
    if match.group("resource") != "raw" and "." in segments[-1]:
        segments[-1] = segments[-1].rsplit(".", 1)[0]
    return "/".join(segments)[:MAX_NAME]


def embedded_marker(data_url: str) -> str:
    return EMBEDDED_PREFIX + hashlib.sha256(data_url.encode("utf-8", "surrogatepass")).hexdigest()


def data_url_size(data_url: str) -> int | None:
    """Decoded size of a base64 data URL, without decoding it."""
    match = _DATA_URL.match(data_url)
    if not match or ";base64" not in match.group("params"):
        return None
    payload = data_url[match.end() :].strip()
    return max(0, len(payload) * 3 // 4 - payload[-2:].count("="))


def data_url_extension(data_url: str) -> str:
    match = _DATA_URL.match(data_url)
    mime = (match.group("mime") if match else None) or "image/png"
    subtype = mime.split("/", 1)[1].split("+", 1)[0]
    return {"jpeg": "jpg", "svg": "svg"}.get(subtype, subtype)[:8]


def _basename(url: str) -> str:
    path = url
    if "?" in path:
        path = path.split("?", 1)[0]
    if "#" in path:
        path = path.split("#", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return (unquote(name) if "%" in name else name)[:MAX_NAME]


def file_refs(record: NormalizedSubmission, *, uploads_dir: Path | None = None) -> list[FileRef]:
    """The ``uploaded_files`` rows of one submission, photos first, in document order."""
    refs: list[FileRef] = []
    seen: set[str] = set()  # the natural key: one row per (submission, URL)
    uploads = str(uploads_dir) if uploads_dir is not None else None
    for photo in record.photos:
        url = photo.url
        if url not in seen:
            seen.add(url)
            size = _local_size(url, uploads) if url.startswith(LOCAL_PREFIX) else None
            refs.append(FileRef(len(refs), url, "photo", cloudinary_public_id(url), _basename(url), size))
    for signature in record.signatures:
        value = signature.value
        if signature.is_data_url:
            url = embedded_marker(value)
            name = f"{signature.source.rsplit('.', 1)[-1]}.{data_url_extension(value)}"
            public_id, size = "", data_url_size(value)
        else:
            url, name, public_id = value, _basename(value), cloudinary_public_id(value)
            size = _local_size(value, uploads) if value.startswith(LOCAL_PREFIX) else None
        if url not in seen:
            seen.add(url)
            refs.append(FileRef(len(refs), url, "signature", public_id, name[:MAX_NAME], size))
    return refs


def _local_size(url: str, uploads_dir: str | None) -> int | None:
    if uploads_dir is None or not url.startswith(LOCAL_PREFIX):
        return None
    name = url[len(LOCAL_PREFIX) :]
    if not name or "/" in name or name in {".", ".."}:
        return None
    try:
        return os.stat(f"{uploads_dir}/{name}").st_size
    except OSError:
        return None
