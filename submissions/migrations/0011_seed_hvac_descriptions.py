"""Seed the HVAC/MEP descriptions the old app offered (its ``module_hvac_mep/dropdown_data.json``).

The list is copied here, in the migration, so a fresh database offers the description choices
with no manual step and this migration means the same thing whenever it runs. Like
``manage.py load_hvac_descriptions`` it adds what is missing (an asset or system staff removed
comes back, an entry staff edited or deactivated is left as it is) and changes nothing that
exists. The reverse removes exactly these descriptions; assets and systems stay (0007 owns them).
"""

from typing import Any

from django.db import migrations

DESCRIPTIONS: dict[str, dict[str, list[str]]] = {
    "HVAC": {
        "Chiller Evaporator": [
            "Chiller",
            "Secondary Pump",
            "FAHU",
            "FCU",
            "Pressurisation Unit",
            "Chemical Dosing Pump",
        ],
        "Chiller Condenser": [
            "Condenser Pump",
            "Make-Up Water Pump",
            "Condenser Fan",
            "Sediment Separator",
        ],
        "Domestic Air Conditioning": [
            "Ducted Split Unit",
            "Decorative Split Unit",
        ],
        "Extract Fans": [
            "Toilet Extract Fan",
            "Kitchen Extract Fan",
            "Smoke Extract Fan",
            "Garbage Extract Fan",
            "Jet Air Fan",
        ],
        "Pressurisation Fans": [
            "Staircase Pressurisation",
            "Lift Lobby Pressurisation Fan",
        ],
        "Fresh Air Fans": [
            "Make-Up Air Fan",
            "Fresh Air Fan",
            "Air Curtain",
        ],
    },
    "Electrical": {
        "LV Panel": [
            "Generator Feeder Panel",
            "Air Circuit Breaker",
            "Main Switchboard System",
            "Capacitor Banks",
            "Automatic Transfer Switch System",
            "Sandwich Rising Busbar System",
            "Motor Control System",
            "Variable Frequency Drive",
            "Chilled Water Motor with Panel",
            "FAHU and AHU with Panel",
            "Booster Pump Motor with Panel",
            "Sump Pump Motor with Panel",
            "SMDB",
            "DB",
            "Earthing System",
            "Lightning System",
            "Central Battery System",
            "Lift Pressurisation Panel",
            "Stairwell Pressurisation Panel",
            "Carpark Extract Fan Panel",
            "Emergency Lights / Exit Lights",
            "Socket Outlets",
            "Hand Dryers",
            "Water Heaters",
        ],
        "MDB": [
            "Generator Feeder Panel",
            "Air Circuit Breaker",
            "Main Switchboard System",
            "Capacitor Banks",
            "Automatic Transfer Switch System",
            "Sandwich Rising Busbar System",
            "Motor Control System",
            "Variable Frequency Drive",
            "Chilled Water Motor with Panel",
            "FAHU and AHU with Panel",
            "Booster Pump Motor with Panel",
            "Sump Pump Motor with Panel",
            "SMDB",
            "DB",
            "Earthing System",
            "Lightning System",
            "Central Battery System",
            "Lift Pressurisation Panel",
            "Stairwell Pressurisation Panel",
            "Carpark Extract Fan Panel",
            "Emergency Lights / Exit Lights",
            "Socket Outlets",
            "Hand Dryers",
            "Water Heaters",
        ],
    },
    "Electro Mechanical": {
        "Electro Mechanical": [
            "Lifts",
            "Loading Lift",
            "Generator",
        ],
    },
    "Life & Safety": {
        "Fire Detection": [
            "Smoke Detector",
            "Heat Detector",
            "Manual Call Point",
            "Fire Alarm Control Panel",
        ],
        "Fire Fighting - Fire Hydrant": [
            "CO2",
            "Dry Powder",
            "FM-200",
        ],
        "Fire Fighting - Diesel, Electric, Jockey": [
            "Sprinklers",
            "Breech Inlet",
            "CO Detectors",
            "FHRC",
        ],
    },
    "Plumbing": {
        "Water Storage Tank": [
            "Domestic Water",
            "Fire Water",
            "Booster Pumps",
        ],
        "Drainage System": [
            "Sump Pumps",
            "Cutting Pumps",
            "Toilets",
            "Urinals",
            "Wash Basin",
            "Flush Tanks",
            "Grease Traps",
        ],
    },
    "Electronics": {
        "Parking Control System": [
            "Parking Control System",
            "Traffic Barrier",
        ],
        "Access Door Control System": [
            "Access Door Controller with Card Reader",
            "Intelligent Door Controller",
        ],
        "PA System": [
            "Amplifier",
            "Speakers",
            "Volume Controller",
        ],
        "BMS": [
            "Direct Digital Control Panel",
            "Printer",
            "CPU",
            "Monitor",
            "Outstations",
        ],
    },
    "Lights": {
        "Lamps": [
            "Lamps",
        ],
    },
}


def seed(apps: Any, schema_editor: Any) -> None:
    asset_model = apps.get_model("submissions", "HvacAsset")
    system_model = apps.get_model("submissions", "HvacSystem")
    description_model = apps.get_model("submissions", "HvacDescription")
    for asset_position, (asset_name, systems) in enumerate(DESCRIPTIONS.items(), start=1):
        asset, _ = asset_model.objects.get_or_create(name=asset_name, defaults={"position": asset_position * 10})
        for system_position, (system_name, texts) in enumerate(systems.items(), start=1):
            system, _ = system_model.objects.get_or_create(
                asset=asset, name=system_name, defaults={"position": system_position * 10}
            )
            existing = set(description_model.objects.filter(system=system).values_list("text", flat=True))
            description_model.objects.bulk_create(
                description_model(system=system, text=text, position=position * 10)
                for position, text in enumerate(texts, start=1)
                if text not in existing
            )


def unseed(apps: Any, schema_editor: Any) -> None:
    description_model = apps.get_model("submissions", "HvacDescription")
    for asset_name, systems in DESCRIPTIONS.items():
        for system_name, texts in systems.items():
            description_model.objects.filter(
                system__asset__name=asset_name, system__name=system_name, text__in=texts
            ).delete()


class Migration(migrations.Migration):
    dependencies = [("submissions", "0010_ledger_mtime")]

    operations = [migrations.RunPython(seed, unseed)]
