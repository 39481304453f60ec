"""Shared helpers for the report-job tests: real images, documents of each module, a controllable storage."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image, ImageDraw

ARABIC_SITE = "برج الإنجاز"


def jpeg_bytes(width: int = 1600, height: int = 1200, *, seed: int = 0, quality: int = 85) -> bytes:
    """A photo-like JPEG: a gradient with shapes and noise (compresses like a real photo)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for index in range(12):
        x, y = (seed * 97 + index * 131) % width, (seed * 53 + index * 89) % height
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=((index * 40) % 255, (seed * 30) % 255, 120))
    noise = Image.effect_noise((width // 4, height // 4), 40).resize((width, height)).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def signature_data_url() -> str:
    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (120, 30), (220, 110), (380, 40)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def stored_photo(name: str, data: bytes | None = None) -> dict[str, Any]:
    """Save a photo in default storage; the photo dict Injaaz writes for it."""
    saved = default_storage.save(name, ContentFile(data or jpeg_bytes()))
    return {"saved": None, "path": None, "url": default_storage.url(saved), "is_cloud": True, "name": saved}


def hvac_document(submission_id: str, *, items: int = 2, photos_per_item: int = 2, prefix: str = "p") -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "site_name": f"{ARABIC_SITE} Tower",
        "visit_date": "2026-01-15",
        "tech_signature": {"saved": None, "path": None, "url": signature_data_url(), "is_cloud": True},
        "opMan_signature": None,
        "items": [
            {
                "asset": "HVAC",
                "system": "Chiller Evaporator",
                "description": f'=HYPERLINK("http://evil.example","click") item {index + 1}',
                "photos": [
                    stored_photo(f"photos/{prefix}{index}_{number}.jpg", jpeg_bytes(seed=index * 10 + number))
                    for number in range(photos_per_item)
                ],
            }
            for index in range(items)
        ],
        "timestamp": "2026-01-15T09:30:00",
        "base_url": "http://testserver",
    }


def civil_document(submission_id: str) -> dict[str, Any]:
    return {
        "id": submission_id,
        "project_name": "Villa 12",
        "location": "Dubai Marina",
        "visit_date": "2026-02-01",
        "inspector_name": "Omar",
        "inspector_signature": signature_data_url(),
        "manager_name": "+Manager",
        "manager_signature": None,
        "work_items": [
            {
                "item_number": 1,
                "description": "Repaint wall",
                "quantity": "12",
                "material": "@Jotun",
                "material_qty": "3",
                "price": "120.50",
                "labour": "2 days",
                "photos": [
                    {"saved": None, "path": None, "url": "https://res.cloudinary.com/demo/x.jpg", "is_cloud": True}
                ],
            },
            {"item_number": 2, "description": "-Fix tiles", "quantity": "-5", "photos": []},
        ],
        "description_of_work": "General repairs",
        "floor": "3",
        "developer_client": "Emaar",
        "city_area": "Dubai",
        "estimated_time": "2 weeks",
        "estimated_completion": "2026-03-01",
        "created_at": "2026-02-01T10:00:00",
        "base_url": "http://testserver",
    }


def cleaning_document(submission_id: str, job_id: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "client_name": "عميل",
        "project_name": "Marina Heights",
        "site_address": "Plot 7",
        "date_of_visit": "2026-03-03",
        "scope_offices": "True",
        "scope_toilets": "False",
        "general_comments": "All good",
        "assessor_name": "Sara",
        "contact_name": "Ali",
        "photos": [],
        "tech_signature": "",
        "contact_signature": "",
        "base_url": "http://testserver",
        "submission_id": submission_id,
        "created_at": "2026-03-03T08:00:00",
    }
    if job_id:
        document["job_id"] = job_id
    return document


class ControlledStorage(FileSystemStorage):
    """Filesystem storage whose report saves can be made to fail or hang, from another process.

    Files in ``INJAAZ_TEST_CONTROL_DIR``: ``fail_saves`` holds how many report saves still raise
    ``ConnectionError`` (storage unreachable); while ``hang_saves`` exists, a report save writes
    ``hanging`` (with its pid) and sleeps.
    """

    def _save(self, name: str, content: Any) -> str:
        control = os.environ.get("INJAAZ_TEST_CONTROL_DIR")
        if control and name.startswith("reports/"):
            folder = Path(control)
            fail = folder / "fail_saves"
            if fail.exists():
                remaining = int(fail.read_text() or "0")
                if remaining > 0:
                    fail.write_text(str(remaining - 1))
                    raise ConnectionError("storage unreachable (test)")
            hang = folder / "hang_saves"
            if hang.exists():
                (folder / "hanging").write_text(str(os.getpid()))
                deadline = time.monotonic() + 120
                while hang.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
        return super()._save(name, content)  # type: ignore[misc]


def imported_done_job(actor: Any, submission_id: str, *, excel_url: str, pdf_url: str) -> Any:
    """An HVAC submission whose job is done with the report links the old app wrote (as imported)."""
    from jobs.models import Job
    from submissions.services import submission_create

    submission = submission_create(
        actor=actor, module="hvac_mep", form_data=hvac_document(submission_id, items=0), submission_id=submission_id
    )
    Job.objects.filter(submission=submission).update(status="done", progress=100, excel_url=excel_url, pdf_url=pdf_url)
    return Job.objects.get(submission=submission)
