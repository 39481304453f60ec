"""Helpers for the inspector-form tests: real images, signatures, and form posts."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

from PIL import ExifTags, Image

from submissions.models import UploadedFile


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "red", exif: Image.Exif | None = None
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    options: dict[str, Any] = {}
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gps_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "InspectorCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (25.0, 12.0, 0.0), 3: "E", 4: (55.0, 17.0, 0.0)}
    return exif


def signature_data_url(color: str = "black") -> str:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 7)), (0, 0, 0, 255) if color == "black" else (0, 0, 200, 255))
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def upload_photo(client: Any, module_path: str = "hvac-mep", data: bytes | None = None, name: str = "site.jpg") -> dict:
    file = io.BytesIO(data if data is not None else image_bytes())
    file.name = name
    response = client.post(f"/{module_path}/upload-photo", {"photo": file})
    assert response.status_code == 200, response.content
    return response.json()


def new_key() -> str:
    return uuid.uuid4().hex


def hvac_post(*, key: str | None = None, items: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    items = (
        items
        if items is not None
        else [{"asset": "HVAC", "system": "Extract Fans", "description": "Toilet Extract Fan"}]
    )
    data: dict[str, Any] = {
        "client_key": key or new_key(),
        "site_name": "Tower A",
        "visit_date": "2025-12-20",
        # The technician's signature is required on every module (issue 13).
        "tech_signature": signature_data_url(),
        "opman_signature": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
    }
    for index, item in enumerate(items):
        for name, value in item.items():
            data[f"items-{index}-{name}"] = value
    data.update(fields)
    return data


def civil_post(*, key: str | None = None, rows: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    rows = rows if rows is not None else [{"description": "Patch plaster", "quantity": "3"}]
    data: dict[str, Any] = {
        "client_key": key or new_key(),
        "project_name": "Marina Villa",
        "location": "Block 3",
        "visit_date": "2025-12-20",
        "inspector_signature": signature_data_url(),  # civil's technician is the inspector
        "work-TOTAL_FORMS": str(len(rows)),
        "work-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"work-{index}-{name}"] = value
    data.update(fields)
    return data


def cleaning_post(*, key: str | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_key": key or new_key(),
        "client_name": "Emaar",
        "project_name": "Creek Tower",
        "date_of_visit": "2025-12-20",
        "deep_clean_required": "No",
        "facility_equipment_condition": "Good",
        "waste_general": "on",
        "tech_signature": signature_data_url(),
    }
    data.update(fields)
    return data


def stored_names(rows: Any = None) -> set[str]:
    return set((rows or UploadedFile.objects.all()).values_list("storage_name", flat=True))


def hvac_taxonomy_seed() -> None:
    """Seed what the data migration seeds again: a transactional test starts after another one
    flushed every table, the migration's rows included."""
    import importlib

    from django.apps import apps

    importlib.import_module("submissions.migrations.0007_seed_hvac_assets_and_systems").seed(apps, None)
    importlib.import_module("submissions.migrations.0011_seed_hvac_descriptions").seed(apps, None)
