"""Documents in the one shape Injaaz writes per module, and a throwaway legacy tree per test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from submissions.models import Submission
from submissions.services import submission_create
from tests.legacy_samples import GENERATED


def photo(url: str, index: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"saved": None, "path": None, "url": url, "is_cloud": True}
    if index is not None:
        entry["index"] = index
    return entry


def hvac_document(site_name: str = "Tower A", visit_date: str = "2025-12-20") -> dict[str, Any]:
    return {
        "site_name": site_name,
        "visit_date": visit_date,
        "tech_signature": photo("https://res.cloudinary.com/demo/image/upload/v1/signatures/tech.png"),
        "opMan_signature": None,
        "items": [
            {
                "asset": "HVAC",
                "system": "Chiller Evaporator",
                "description": "Chiller",
                "photos": [photo("https://res.cloudinary.com/demo/image/upload/v1/uploads/a.jpg")],
            }
        ],
        "timestamp": "2026-11-25T17:35:51.175909",
        "base_url": "https://injaaz.example.com",
    }


def civil_document(project_name: str = "Marina Villa") -> dict[str, Any]:
    return {
        "project_name": project_name,
        "location": "Block 3",
        "visit_date": "2025-12-20",
        "inspector_name": "Ravi",
        "inspector_signature": None,
        "manager_name": "Omar",
        "manager_signature": None,
        "work_items": [
            {
                "item_number": 1,
                "description": "Patch plaster",
                "quantity": "3",
                "material": "Gypsum",
                "material_qty": "5",
                "price": "120.50",
                "labour": "2 days",
                "photos": [],
            },
            {
                "item_number": 2,
                "description": "Repaint",
                "quantity": "1",
                "material": "Paint",
                "material_qty": "2",
                "price": "80",
                "labour": "1 day",
                "photos": [photo("https://res.cloudinary.com/demo/image/upload/v1/civil_photos/b.jpg")],
            },
        ],
        "description_of_work": "Wall crack repair, caf\u00e9 \u0645\u0628\u0646\u0649",
        "floor": "2",
        "developer_client": "Acme Dev",
        "city_area": "Dubai Marina",
        "estimated_time": "2 weeks",
        "estimated_completion": "",
        "created_at": "2026-11-25T17:36:03.000000",
        "base_url": "https://injaaz.example.com",
    }


def cleaning_document(project_name: str = "Creek Tower") -> dict[str, Any]:
    return {
        "client_name": "Emaar",
        "project_name": project_name,
        "site_address": "Creek Harbour",
        "date_of_visit": "2025-12-20",
        "scope_offices": "True",
        "scope_toilets": "False",
        "photos": [photo("https://res.cloudinary.com/demo/image/upload/v1/cleaning_photos/c.jpg", index=0)],
        "tech_signature": "",
        "contact_signature": "",
        "base_url": "https://injaaz.example.com",
        "job_id": "job_0123456789ab",
        "created_at": "2026-11-25T17:36:23.324670",
    }


DOCUMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "hvac_mep": hvac_document,
    "civil": civil_document,
    "cleaning": cleaning_document,
}
SITE_NAMES = {"hvac_mep": "Tower A", "civil": "Marina Villa", "cleaning": "Creek Tower"}


def create(module: str = "hvac_mep", *, actor: Any = None, **document_overrides: Any) -> Submission:
    """A submission of ``module`` (its site name and visit date derive from the document)."""
    document = {**DOCUMENTS[module](), **document_overrides}
    return submission_create(actor=actor, module=module, form_data=document)


def read(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def copy_samples(root: Path) -> None:
    for folder in ("submissions", "jobs"):
        shutil.copytree(GENERATED / folder, root / folder, dirs_exist_ok=True)


def visible_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def legacy_dir(settings: Any, tmp_path: Path) -> Path:
    """A fresh, empty legacy tree as ``INJAAZ_LEGACY_DIR`` (phase and job store left at their defaults)."""
    root = tmp_path / "generated"
    root.mkdir()
    settings.INJAAZ_LEGACY_DIR = root
    settings.INJAAZ_STORAGE_PHASE = "db"
    settings.INJAAZ_JOB_STORE = "db"
    settings.INJAAZ_SHADOW_COMPARE = False
    return root
