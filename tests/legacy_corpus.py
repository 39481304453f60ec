"""A synthetic legacy ``generated/`` tree: every shape FORMAT.md describes, at any size.

Test data, not part of the application: used by the import tests and the import benchmarks
(``bench/import_bench.py``, ``bench/parse_bench.py``, ``bench/import_steps_bench.py``). Output is
deterministic for a given seed (ids, contents and file mtimes), written the way the old app wrote
it (``json.dump`` with ``ensure_ascii=True``, indent 2 except Civil ``/submit`` and job files).

``make_corpus(root, n)`` writes ``n`` submission files and, for most of them, a job file:
- the six submission shapes (HVAC ``/submit-with-urls`` and ``/submit``, Civil ``/submit`` and
  ``/submit-with-urls`` in its a4998bb and 8bf53f5 forms, Cleaning ``/submit-with-urls`` (both
  the UI's ``photo_url_N`` form and the ``photo_urls`` form) and Cleaning ``/submit``);
- production-era variants: Cloudinary URLs, signature dicts, data-URL signatures;
- the three job-result shapes, failures (HVAC "done" with an error, Civil and Cleaning
  "failed", Cleaning's ISO ``completed_at``), unfinished jobs, submissions without a job and
  orphan jobs; local-fallback uploads present in ``uploads/``;
- non-ASCII text (Arabic, accented Latin), escaped as the old app wrote it.

``add_bad_files(root)`` adds one file of each kind of bad input the importer must report.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from submissions.modules.registry import declaration

FACILITY_COUNT_FIELDS = tuple(
    f.key for f in declaration("cleaning").fields if f.key.startswith("facility_") and f.type == "number"
)

SHAPES = (
    "hvac_urls",
    "hvac_submit",
    "civil_submit",
    "civil_urls",
    "civil_urls_8bf53f5",
    "cleaning_urls",
    "cleaning_urls_list",
    "cleaning_submit",
)

ASSETS = {
    "HVAC": {"Chiller Evaporator": ["Chiller", "FAHU", "FCU"], "Extract Fans": ["Toilet Extract Fan", "Jet Air Fan"]},
    "Electrical": {"LV Panel": ["ACB", "MCCB", "Busbar"], "MDB": ["Capacitor Bank", "Earth Leakage Relay"]},
    "Life & Safety": {"Fire Detection": ["Smoke Detector", "Fire Alarm Panel"]},
    "Plumbing": {"Drainage System": ["Sump Pumps", "Manholes"], "Water Storage Tank": ["Transfer Pump"]},
    "Lights": {"Lamps": ["Lamps"]},
}
SITES = [
    "Tower A",
    "Marina Villa",
    "Creek Tower",
    "برج الخليفة",
    "مجمع الواحة السكني",
    "Café Zürich Plaza",
    "Al Qusais Warehouse 7",
    "Jumeirah Lake Towers — Cluster X",
    "Emaar Business Park Bldg 4",
    "Dubai Hills Mall",
]
PEOPLE = ["Ravi", "Sara", "Omar", "Ali", "محمد العلي", "Zoë Brontë", "Fatima", "Chen Wei"]
WORDS = [
    "inspect",
    "clean",
    "replace",
    "repair",
    "leak",
    "crack",
    "paint",
    "filter",
    "pump",
    "valve",
    "duct",
    "panel",
    "cable",
    "tray",
    "slab",
    "corridor",
    "basement",
    "roof",
    "lobby",
    "façade",
    "كهرباء",
    "تكييف",
    "صيانة",
    "تسرب",
]
FOLDERS = {"hvac_mep": "uploads", "civil": "civil_photos", "cleaning": "cleaning_photos"}
# A 1x1 PNG, the local-fallback uploads' content.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
EPOCH_2025 = 1735689600.0  # 2025-01-01T00:00:00Z


@dataclass
class Corpus:
    """What ``make_corpus`` wrote (for tests and the benchmark)."""

    root: Path
    submissions: dict[str, str] = field(default_factory=dict)  # submission_id -> shape
    jobs: dict[str, str | None] = field(default_factory=dict)  # job_id -> submission_id
    orphan_jobs: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    bytes_written: int = 0


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(48):012x}"


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _signature_data_url(rng: random.Random) -> str:
    # A real signature_pad PNG is a few kilobytes of base64; incompressible bytes give that size.
    raw = zlib.compress(rng.randbytes(rng.randint(1200, 3600)), 0)
    return "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode()


class _Writer:
    def __init__(self, root: Path, seed: int, production_share: float) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.production_share = production_share
        self.corpus = Corpus(root=root)
        for folder in ("submissions", "jobs", "uploads"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    # -- references --------------------------------------------------------------------------

    def photo_url(self, module: str) -> str:
        rng = self.rng
        if rng.random() < self.production_share:
            public_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
            ext = rng.choice(["jpg", "jpg", "png", "jpeg"])
            version = rng.randint(1700000000, 1760000000)
            return f"https://res.cloudinary.com/injaaz/image/upload/v{version}/{FOLDERS[module]}/{public_id}.{ext}"
        name = f"{rng.choice(['ahu', 'crack', 'lobby', 'pump', 'site', 'صورة'])}_{_hex(rng)[:8]}.png"
        if rng.random() < 0.5:
            # Only failed Cloudinary uploads stay on disk; the rest of the folder was ephemeral.
            (self.root / "uploads" / name).write_bytes(PNG_1X1)
            self.corpus.uploads.append(name)
        return f"/generated/uploads/{name}"

    def photo(self, module: str, **extra: Any) -> dict[str, Any]:
        record: dict[str, Any] = {"saved": None, "path": None, "url": self.photo_url(module), "is_cloud": True}
        if "field" in extra:
            record = {"field": extra.pop("field"), **record}
        record.update(extra)
        return record

    def signature(self, module: str, *, allow_dict: bool) -> Any:
        roll = self.rng.random()
        if roll < 0.35:
            return _signature_data_url(self.rng)
        if allow_dict and roll < 0.65:
            public_id = f"signatures/sig_{_hex(self.rng)}"
            return {
                "saved": None,
                "path": None,
                "url": f"https://res.cloudinary.com/injaaz/image/upload/v{self.rng.randint(1700000000, 1760000000)}/{public_id}.png",
                "is_cloud": True,
            }
        return None

    def when(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(EPOCH_2025 + self.rng.uniform(0, 330 * 86400), tz=dt.UTC)

    # -- submission shapes ---------------------------------------------------------------------

    def hvac_items(self, *, multipart: bool) -> list[dict[str, Any]]:
        items = []
        for index in range(self.rng.randint(0, 5)):
            asset = self.rng.choice(list(ASSETS))
            system = self.rng.choice(list(ASSETS[asset]))
            extra = {"field": f"item_{index}_photo"} if multipart else {}
            items.append(
                {
                    "asset": asset,
                    "system": system,
                    "description": self.rng.choice(ASSETS[asset][system]),
                    "photos": [self.photo("hvac_mep", **dict(extra)) for _ in range(self.rng.randint(1, 4))],
                }
            )
        return items

    def hvac_urls(self, sid: str, when: dt.datetime) -> tuple[dict[str, Any], int]:
        doc = {
            "submission_id": sid,
            "site_name": self.rng.choice(SITES),
            "visit_date": (when.date() - dt.timedelta(days=self.rng.randint(0, 9))).isoformat(),
            "tech_signature": self.signature("hvac_mep", allow_dict=True) if self.rng.random() < 0.5 else None,
            "opMan_signature": self.signature("hvac_mep", allow_dict=True) if self.rng.random() < 0.5 else None,
            "items": self.hvac_items(multipart=False),
            "timestamp": when.replace(tzinfo=None).isoformat(),
            "base_url": "https://injaaz.onrender.com",
        }
        if isinstance(doc["tech_signature"], str):
            doc["tech_signature"] = None  # a drawn pad made the a4998bb request fail: only dicts survive
        if isinstance(doc["opMan_signature"], str):
            doc["opMan_signature"] = None
        return doc, 2

    def hvac_submit(self, sid: str, when: dt.datetime) -> tuple[dict[str, Any], int]:
        doc = {
            "id": sid,
            "site_name": self.rng.choice(SITES),
            "visit_date": (when.date() - dt.timedelta(days=self.rng.randint(0, 9))).isoformat(),
            "tech_signature": None,
            "opman_signature": None,
            "items": self.hvac_items(multipart=True),
            "base_url": "http://127.0.0.1:5000",
            "created_at": when.replace(tzinfo=None).isoformat(),
        }
        return doc, 2

    def civil_submit(self, sid: str, when: dt.datetime) -> tuple[dict[str, Any], int | None]:
        photos = {f"photo_url_{n}": self.photo_url("civil") for n in range(self.rng.randint(0, 4))}
        fields = {
            "date": (when.date() - dt.timedelta(days=self.rng.randint(0, 9))).isoformat(),
            "project_name": self.rng.choice(SITES),
            "description_of_work": _text(self.rng, 5, 30),
            "location_name": f"Block {self.rng.randint(1, 40)}",
            "floor": str(self.rng.randint(0, 60)),
            "developer_client": self.rng.choice(["Acme Dev", "Emaar", "Nakheel", "شركة الدار"]),
            "city_area": self.rng.choice(["Dubai Marina", "Deira", "Al Barsha", "الخبيصي"]),
            "work_desc[]": _text(self.rng, 2, 6),
            "work_qty[]": str(self.rng.randint(1, 40)),
            "material[]": "Gypsum (Knauf)",
            "material_qty[]": str(self.rng.randint(1, 20)),
            "price[]": f"{self.rng.uniform(10, 5000):.2f}",
            "labour[]": f"{self.rng.randint(1, 9)} days",
            "estimated_time": f"{self.rng.randint(1, 8)} weeks",
            "inspector_name": self.rng.choice(PEOPLE),
            **photos,
            "tech_signature": _signature_data_url(self.rng) if self.rng.random() < 0.6 else "",
            "op_signature": _signature_data_url(self.rng) if self.rng.random() < 0.4 else "",
            "location": f"Block {self.rng.randint(1, 40)}",
        }
        files = [
            {"field": "photos", "saved": None, "url": self.photo_url("civil"), "is_cloud": True}
            for _ in range(self.rng.choice([0, 0, 0, 1, 2]))
        ]
        return {"id": sid, "fields": fields, "files": files, "base_url": "http://127.0.0.1:5000"}, None

    def civil_urls(self, sid: str, when: dt.datetime, *, later: bool) -> tuple[dict[str, Any], int]:
        rows = []
        for number in range(1, self.rng.randint(1, 6) + 1):
            row: dict[str, Any] = {
                "item_number": number,
                "description": _text(self.rng, 2, 8),
                "quantity": str(self.rng.randint(1, 50)),
            }
            if later:
                row.update(
                    material=self.rng.choice(["Jotun paint", "Cement (OPC)", "Tiles 60x60", "خرسانة"]),
                    material_qty=str(self.rng.randint(1, 30)),
                    price=f"{self.rng.uniform(5, 900):.2f}",
                    labour=f"{self.rng.randint(1, 5)} days",
                )
            row["photos"] = [self.photo("civil") for _ in range(self.rng.randint(0, 3))]
            rows.append(row)
        doc: dict[str, Any] = {
            "id": sid,
            "project_name": self.rng.choice(SITES),
            "location": f"Plot {self.rng.randint(100, 999)}",
            "visit_date": (when.date() - dt.timedelta(days=self.rng.randint(0, 9))).isoformat(),
            "inspector_name": self.rng.choice(PEOPLE),
            "inspector_signature": self.signature("civil", allow_dict=later) or "",
            "manager_name": self.rng.choice(PEOPLE),
            "manager_signature": self.signature("civil", allow_dict=later) or "",
            "work_items": rows,
            "estimated_completion": (when.date() + dt.timedelta(days=self.rng.randint(7, 90))).isoformat(),
            "base_url": "https://injaaz.onrender.com",
        }
        if later:
            doc.update(
                description_of_work=_text(self.rng, 5, 25),
                floor=str(self.rng.randint(0, 40)),
                developer_client=self.rng.choice(["Emaar", "Meraas", "Nakheel"]),
                city_area=self.rng.choice(["Business Bay", "JLT", "القصيص"]),
                estimated_time=f"{self.rng.randint(1, 6)} weeks",
                created_at=when.replace(tzinfo=None).isoformat(),
            )
        return doc, 2

    def cleaning_form(self, when: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        form: dict[str, Any] = {
            "client_name": rng.choice(["Emaar", "Nakheel", "Dubai Holding", "إعمار"]),
            "project_name": rng.choice(SITES),
            "site_address": rng.choice(["Creek Harbour", "Downtown", "الممزر"]),
            "date_of_visit": (when.date() - dt.timedelta(days=rng.randint(0, 9))).isoformat(),
            "key_person_name": rng.choice(PEOPLE),
            "contact_number": f"+9715{rng.randint(10000000, 99999999)}",
            "room_count": str(rng.randint(1, 400)),
            "current_team_size": str(rng.randint(1, 30)),
            "lift_count_total": str(rng.randint(0, 12)),
            "current_team_desc": _text(rng, 3, 12),
            "facility_floor": f"G+{rng.randint(1, 60)}",
        }
        for name in FACILITY_COUNT_FIELDS:  # the cleaning form's facility counts
            form[name] = rng.choice(["", str(rng.randint(0, 9))])
        form["scope_offices"] = rng.choice(["True", "False"])
        form.update(
            deep_clean_required=rng.choice(["No", "Yes"]),
            deep_clean_areas=_text(rng, 0, 6),
            waste_general="True",
            waste_hazardous_details="",
            restricted_access=_text(rng, 0, 5),
            pest_control=rng.choice(["Quarterly", "Monthly", ""]),
            working_hours="8:00 AM - 5:00 PM",
            required_team_size=str(rng.randint(1, 40)),
            site_access_requirements=_text(rng, 0, 6),
            facility_equipment_condition=rng.choice(["Excellent", "Good", "Fair", "Poor"]),
            required_equipment=_text(rng, 1, 4),
            facility_maintenance_notes=_text(rng, 0, 10),
            high_risk_areas=_text(rng, 0, 6),
            suggested_safety_ppe="Gloves, goggles",
            general_comments=_text(rng, 0, 40),
            assessor_name=rng.choice(PEOPLE),
            contact_name=rng.choice(PEOPLE),
        )
        return form

    def cleaning_urls(self, sid: str, when: dt.datetime, *, url_list: bool) -> tuple[dict[str, Any], int]:
        data = self.cleaning_form(when)
        data["tech_signature"] = _signature_data_url(self.rng) if self.rng.random() < 0.5 else ""
        data["contact_signature"] = _signature_data_url(self.rng) if self.rng.random() < 0.3 else ""
        for name in [
            "scope_toilets",
            "scope_hallways",
            "scope_kitchen",
            "scope_exterior",
            "scope_special_care",
            "waste_recycling",
            "waste_hazardous",
        ]:
            data[name] = self.rng.choice(["True", "False"])
        urls = [self.photo_url("cleaning") for _ in range(self.rng.randint(0, 5))]
        if url_list:
            data["photo_urls"] = urls
            data["photos"] = [
                {"saved": None, "path": None, "url": url, "index": index, "is_cloud": True}
                for index, url in enumerate(urls)
            ]
            if self.rng.random() < self.production_share:
                # Later code set the *_url keys beside the raw signatures.
                data["tech_signature_url"] = self.photo_url("cleaning")
        else:
            data.update({f"photo_url_{n}": url for n, url in enumerate(urls)})
            data["photos"] = []
        doc = {
            "submission_id": sid,
            "data": data,
            "timestamp": when.replace(tzinfo=None).isoformat(),
            "base_url": "https://injaaz.onrender.com",
        }
        return doc, 2

    def cleaning_submit(self, sid: str, when: dt.datetime, job_id: str) -> tuple[dict[str, Any], int]:
        doc = self.cleaning_form(when)
        doc["tech_signature"] = self.signature("cleaning", allow_dict=True) or ""
        doc["contact_signature"] = self.signature("cleaning", allow_dict=True) or ""
        if isinstance(doc["tech_signature"], str) and doc["tech_signature"]:
            doc["tech_signature"] = ""  # a data URL here made the a4998bb request fail
        if isinstance(doc["contact_signature"], str) and doc["contact_signature"]:
            doc["contact_signature"] = ""
        for name in [
            "scope_toilets",
            "scope_hallways",
            "scope_kitchen",
            "scope_exterior",
            "scope_special_care",
            "waste_recycling",
            "waste_hazardous",
        ]:
            doc[name] = self.rng.choice(["True", "False"])
        doc["photos"] = [self.photo("cleaning", index=index) for index in range(self.rng.randint(0, 4))]
        doc.update(
            base_url="https://injaaz.onrender.com",
            submission_id=sid,
            job_id=job_id,
            created_at=when.replace(tzinfo=None).isoformat(),
        )
        return doc, 2

    # -- jobs ------------------------------------------------------------------------------------

    def job(self, job_id: str, sid: str, module: str, shape: str, doc: dict[str, Any], when: dt.datetime) -> dict:
        rng = self.rng
        created = when.timestamp() + rng.uniform(0.0001, 0.001)
        meta: dict[str, Any] = {"submission_id": sid, "module": module}
        if shape == "hvac_urls":
            meta.update(site_name=doc["site_name"], items_count=len(doc["items"]), created_at=doc["timestamp"])
        elif shape == "hvac_submit":
            meta["created_at"] = doc["created_at"]
        elif shape.startswith("civil_urls"):
            meta.update(project_name=doc["project_name"], items_count=len(doc["work_items"]))
        elif shape == "cleaning_submit":
            meta["created_at"] = doc["created_at"]
        elif shape.startswith("cleaning_urls"):
            meta.update(project_name=doc["data"]["project_name"], photos_count=len(doc["data"]["photos"]))
        roll = rng.random()
        state = "done" if roll < 0.85 else ("failed" if roll < 0.93 else rng.choice(["started", "running"]))
        stamp = when.strftime("%Y%m%d_%H%M%S")
        base = doc.get("base_url", "http://127.0.0.1:5000")
        job: dict[str, Any] = {"job_id": job_id, "state": state, "progress": 100, "results": [], "meta": meta}
        error = "[Errno 2] No such file or directory: '/srv/injaaz/generated/Report_A/B_" + stamp + ".xlsx'"
        if state in ("started", "running"):
            job.update(progress=0 if state == "started" else rng.choice([10, 30, 60]), created_at=created)
            return job
        finished = created + rng.uniform(0.01, 3.0)
        if module == "hvac_mep":
            state = "done"  # HVAC reports failures as done
            job["state"] = "done"
            if roll >= 0.85:
                job["results"] = {"error": error}
            else:
                job["results"] = {
                    "excel_url": f"{base}/generated/HVAC_MEP_Site_{stamp}.xlsx",
                    "pdf_url": f"{base}/generated/HVAC_MEP_Site_{stamp}.pdf",
                }
            job.update(created_at=created, completed_at=finished)
        elif module == "civil":
            if state == "failed":
                job.update(progress=0, results=[{"error": error}], created_at=created)
            else:
                job["results"] = [
                    {"filename": f"Civil_Project_{stamp}.xlsx", "url": f"{base}/generated/Civil_Project_{stamp}.xlsx"},
                    {
                        "filename": f"Civil_Unknown_Project_{stamp}.pdf",
                        "url": f"{base}/generated/Civil_Unknown_Project_{stamp}.pdf",
                    },
                ]
                job.update(created_at=created, completed_at=finished)
        elif state == "failed":
            iso = dt.datetime.fromtimestamp(finished, tz=dt.UTC).replace(tzinfo=None).isoformat()
            job.update(progress=0, results={"error": error}, created_at=created, completed_at=iso)
        else:
            job["results"] = {
                "excel": f"{base}/generated/Cleaning_Assessment_Client_{stamp}.xlsx",
                "pdf": f"{base}/generated/Cleaning_Assessment_Client_{stamp}.pdf",
            }
            job.update(created_at=created, completed_at=finished)
        return job

    # -- files -------------------------------------------------------------------------------------

    def write(self, path: Path, document: Any, indent: int | None, mtime: float) -> None:
        text = json.dumps(document, indent=indent)
        path.write_text(text, encoding="ascii")
        os.utime(path, (mtime, mtime))
        self.corpus.bytes_written += len(text)

    def submission(self, index: int, n: int) -> None:
        rng = self.rng
        shape = SHAPES[index % len(SHAPES)]
        sid = f"sub_{_hex(rng)}"
        job_id = f"job_{_hex(rng)}"
        when = self.when()
        module = shape.split("_")[0].replace("hvac", "hvac_mep")
        doc: dict[str, Any]
        indent: int | None
        if shape == "hvac_urls":
            doc, indent = self.hvac_urls(sid, when)
        elif shape == "hvac_submit":
            doc, indent = self.hvac_submit(sid, when)
        elif shape == "civil_submit":
            doc, indent = self.civil_submit(sid, when)
        elif shape == "civil_urls":
            doc, indent = self.civil_urls(sid, when, later=False)
        elif shape == "civil_urls_8bf53f5":
            doc, indent = self.civil_urls(sid, when, later=True)
        elif shape == "cleaning_urls":
            doc, indent = self.cleaning_urls(sid, when, url_list=False)
        elif shape == "cleaning_urls_list":
            doc, indent = self.cleaning_urls(sid, when, url_list=True)
        else:
            doc, indent = self.cleaning_submit(sid, when, job_id)
        mtime = when.timestamp() + 0.5
        self.write(self.root / "submissions" / f"{sid}.json", doc, indent, mtime)
        self.corpus.submissions[sid] = shape
        if rng.random() < 0.95 or shape == "cleaning_submit":
            job = self.job(job_id, sid, module, shape, doc, when)
            self.write(self.root / "jobs" / f"{job_id}.json", job, None, mtime + 1)
            self.corpus.jobs[job_id] = sid
        if rng.random() < 0.01:
            orphan_id = f"job_{_hex(rng)}"
            orphan = self.job(orphan_id, f"sub_{_hex(rng)}", module, shape, doc, when)
            self.write(self.root / "jobs" / f"{orphan_id}.json", orphan, None, mtime + 2)
            self.corpus.jobs[orphan_id] = None
            self.corpus.orphan_jobs.append(orphan_id)


def make_corpus(root: Path, n: int, *, seed: int = 4, production_share: float = 0.7) -> Corpus:
    """Write ``n`` submission files (and their jobs, uploads) under ``root``; see the module docstring."""
    writer = _Writer(Path(root), seed, production_share)
    for index in range(n):
        writer.submission(index, n)
    return writer.corpus


# Bad inputs: file name (relative to the tree) -> what the importer must say (a substring).
BAD_FILES = {
    "submissions/sub_00000000e001.json": "empty",
    "submissions/sub_00000000e002.json": "truncated",
    "submissions/sub_00000000e003.json": "UTF-8",
    "submissions/sub_00000000e004.json": "object",
    "submissions/sub_00000000e005.json": "shape",
    "submissions/sub_00000000e006.json": "does not match",
    "submissions/sub_00000000e007.json": "size",
    "submissions/sub_00000000e008.json": "outside",
    "submissions/notes.txt": "not a JSON file",
    "jobs/job_00000000e009.json": "truncated",
}


def add_bad_files(root: Path, *, size_cap: int = 64 * 1024) -> dict[str, str]:
    """Add one file per kind of bad input (``BAD_FILES``); the oversized one exceeds ``size_cap``."""
    root = Path(root)
    sub = root / "submissions"
    (sub / "sub_00000000e001.json").write_bytes(b"")
    (sub / "sub_00000000e002.json").write_bytes(b'{\n  "submission_id": "sub_00000000e002",\n  "site_na')
    (sub / "sub_00000000e003.json").write_bytes(b'{"id": "sub_00000000e003", "site_name": "caf\xe9", "items": []}')
    (sub / "sub_00000000e004.json").write_bytes(b'["sub_00000000e004"]')
    (sub / "sub_00000000e005.json").write_text(json.dumps({"id": "sub_00000000e005", "colour": "blue"}))
    (sub / "sub_00000000e006.json").write_text(
        json.dumps({"submission_id": "sub_0000000bad06", "site_name": "X", "visit_date": "", "items": []}, indent=2)
    )
    big = {"submission_id": "sub_00000000e007", "site_name": "big", "items": [], "pad": "x" * (size_cap + 10)}
    (sub / "sub_00000000e007.json").write_text(json.dumps(big))
    outside = root.parent / f"{root.name}-outside.json"
    outside.write_text(json.dumps({"submission_id": "sub_00000000e008", "site_name": "", "items": []}))
    link = sub / "sub_00000000e008.json"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(outside)
    (sub / "notes.txt").write_text("stray notes left by an operator\n")
    (root / "jobs" / "job_00000000e009.json").write_bytes(b'{"job_id": "job_00000000e009", "state": "runn')
    return dict(BAD_FILES)
