"""Seed the HVAC/MEP assets and systems the old app offered (FORMAT.md §4.1, its asset/system table).

Descriptions are not seeded: FORMAT.md gives only their counts. ``manage.py load_hvac_descriptions``
loads them from the old app's ``dropdown_data.json``, and staff edit everything in the admin.
The reverse removes exactly what this seeded (and what hangs under it).
"""

from typing import Any

from django.db import migrations

TAXONOMY: list[tuple[str, list[str]]] = [
    (
        "HVAC",
        [
            "Chiller Evaporator",
            "Chiller Condenser",
            "Domestic Air Conditioning",
            "Extract Fans",
            "Pressurisation Fans",
            "Fresh Air Fans",
        ],
    ),
    ("Electrical", ["LV Panel", "MDB"]),
    ("Electro Mechanical", ["Electro Mechanical"]),
    (
        "Life & Safety",
        ["Fire Detection", "Fire Fighting - Fire Hydrant", "Fire Fighting - Diesel, Electric, Jockey"],
    ),
    ("Plumbing", ["Water Storage Tank", "Drainage System"]),
    ("Electronics", ["Parking Control System", "Access Door Control System", "PA System", "BMS"]),
    ("Lights", ["Lamps"]),
]


def seed(apps: Any, schema_editor: Any) -> None:
    asset_model = apps.get_model("submissions", "HvacAsset")
    system_model = apps.get_model("submissions", "HvacSystem")
    for asset_position, (asset_name, systems) in enumerate(TAXONOMY, start=1):
        asset, _ = asset_model.objects.get_or_create(name=asset_name, defaults={"position": asset_position * 10})
        for system_position, system_name in enumerate(systems, start=1):
            system_model.objects.get_or_create(
                asset=asset, name=system_name, defaults={"position": system_position * 10}
            )


def unseed(apps: Any, schema_editor: Any) -> None:
    asset_model = apps.get_model("submissions", "HvacAsset")
    system_model = apps.get_model("submissions", "HvacSystem")
    for asset_name, systems in TAXONOMY:
        system_model.objects.filter(asset__name=asset_name, name__in=systems).delete()
        asset_model.objects.filter(name=asset_name, systems__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("submissions", "0006_hvac_taxonomy")]

    operations = [migrations.RunPython(seed, unseed)]
