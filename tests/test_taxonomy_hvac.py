"""The HVAC taxonomy: assets and systems seeded from FORMAT.md, descriptions from the old app's
dropdown JSON (shipped in a data migration, loadable again with a command), edited by staff in the
admin, and what the form offers."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from submissions.inspector.models import HvacAsset, HvacDescription, HvacSystem
from submissions.inspector.selectors import hvac_taxonomy
from tests.inspection_helpers import hvac_taxonomy_seed
from tests.legacy_samples import SAMPLES

SAMPLE = SAMPLES / "hvac_mep_dropdown_data.json"

pytestmark = pytest.mark.django_db


def test_the_migrations_seed_the_old_apps_taxonomy_descriptions_included() -> None:
    taxonomy = hvac_taxonomy()
    assert list(taxonomy) == [
        "HVAC",
        "Electrical",
        "Electro Mechanical",
        "Life & Safety",
        "Plumbing",
        "Electronics",
        "Lights",
    ]
    assert {asset: len(systems) for asset, systems in taxonomy.items()} == {
        "HVAC": 6,
        "Electrical": 2,
        "Electro Mechanical": 1,
        "Life & Safety": 3,
        "Plumbing": 2,
        "Electronics": 4,
        "Lights": 1,
    }
    assert list(taxonomy["Life & Safety"]) == [
        "Fire Detection",
        "Fire Fighting - Fire Hydrant",
        "Fire Fighting - Diesel, Electric, Jockey",
    ]
    assert HvacDescription.objects.count() == 107
    assert taxonomy["HVAC"]["Chiller Condenser"] == [
        "Condenser Pump",
        "Make-Up Water Pump",
        "Condenser Fan",
        "Sediment Separator",
    ]


def test_the_shipped_descriptions_are_the_old_apps_list() -> None:
    # Same structure and order as the old file; the app itself never reads that file.
    assert hvac_taxonomy() == json.loads(SAMPLE.read_text())


def test_load_hvac_descriptions_adds_nothing_the_migration_shipped() -> None:
    out = StringIO()
    call_command("load_hvac_descriptions", str(SAMPLE), stdout=out)
    assert out.getvalue().strip() == f"added 0 assets, 0 systems, 0 descriptions from {SAMPLE}"


def test_load_hvac_descriptions_from_the_old_dropdown_file() -> None:
    HvacDescription.objects.all().delete()
    out = StringIO()
    call_command("load_hvac_descriptions", str(SAMPLE), stdout=out)
    assert out.getvalue().strip().endswith(f"added 0 assets, 0 systems, 107 descriptions from {SAMPLE}")
    assert hvac_taxonomy() == json.loads(SAMPLE.read_text())
    assert HvacDescription.objects.values("text").distinct().count() == 83

    again = StringIO()
    call_command("load_hvac_descriptions", str(SAMPLE), stdout=again)
    assert again.getvalue().strip() == f"added 0 assets, 0 systems, 0 descriptions from {SAMPLE}"


def test_dry_run_writes_nothing_and_new_entries_are_added(tmp_path: Path) -> None:
    source = tmp_path / "dropdowns.json"
    source.write_text(json.dumps({"HVAC": {"Chiller Evaporator": ["Chiller"]}, "Solar": {"Panels": ["Inverter"]}}))
    out = StringIO()
    call_command("load_hvac_descriptions", str(source), "--dry-run", stdout=out)
    assert "would add 1 assets, 1 systems, 1 descriptions" in out.getvalue()
    assert not HvacAsset.objects.filter(name="Solar").exists() and HvacDescription.objects.count() == 107
    call_command("load_hvac_descriptions", str(source), stdout=StringIO())
    assert hvac_taxonomy()["Solar"] == {"Panels": ["Inverter"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not a JSON document"),
        ('["a list"]', "expected {asset: {system: [description, ...]}}"),
        ('{"HVAC": {"Fans": ["", "x"]}}', "non-empty strings"),
    ],
)
def test_bad_files_are_a_command_error(tmp_path: Path, content: str | None, message: str) -> None:
    source = tmp_path / "dropdowns.json"
    if content is not None:
        source.write_text(content)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("load_hvac_descriptions", str(source))


def test_inactive_entries_leave_the_form() -> None:
    HvacAsset.objects.filter(name="Lights").update(is_active=False)
    HvacSystem.objects.filter(name="MDB").update(is_active=False)
    HvacDescription.objects.filter(text="Chiller").update(is_active=False)
    taxonomy = hvac_taxonomy()
    assert "Lights" not in taxonomy and "MDB" not in taxonomy["Electrical"]
    assert "Chiller" not in taxonomy["HVAC"]["Chiller Evaporator"]


def test_the_taxonomy_costs_two_queries(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        hvac_taxonomy()


def test_staff_edit_the_taxonomy_in_the_admin(client: Client, staff_user: Any) -> None:
    client.force_login(staff_user)
    for path in (
        "/admin/submissions/hvacasset/",
        "/admin/submissions/hvacsystem/",
        "/admin/submissions/hvacdescription/",
    ):
        assert client.get(path).status_code == 200
    lamps = HvacSystem.objects.get(name="Lamps")
    page = client.get(f"/admin/submissions/hvacsystem/{lamps.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        "/admin/submissions/hvacdescription/add/",
        {"system": lamps.pk, "text": "LED panel", "position": 20, "is_active": "on"},
    )
    assert response.status_code == 302
    assert hvac_taxonomy()["Lights"]["Lamps"] == ["Lamps", "LED panel"]


def test_the_seed_migrations_are_reversible(transactional_db: Any) -> None:
    hvac_taxonomy_seed()  # a transactional test starts after another one flushed the tables
    HvacDescription.objects.create(system=HvacSystem.objects.get(name="Lamps"), text="LED panel", position=20)
    call_command("migrate", "submissions", "0010", verbosity=0)
    # The reverse removes the shipped descriptions only; what staff added stays.
    assert list(HvacDescription.objects.values_list("text", flat=True)) == ["LED panel"]
    assert HvacSystem.objects.count() == 19
    call_command("migrate", "submissions", "0006", verbosity=0)
    assert HvacAsset.objects.count() == 0
    call_command("migrate", "submissions", verbosity=0)
    assert HvacSystem.objects.count() == 19
    assert HvacDescription.objects.count() == 107
