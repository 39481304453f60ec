"""Load HVAC descriptions (and any missing assets or systems) from the old app's dropdown JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from submissions.inspector.models import HvacAsset, HvacDescription, HvacSystem


class Command(BaseCommand):
    help = (
        "Load HVAC/MEP descriptions from the old app's module_hvac_mep/dropdown_data.json "
        "({asset: {system: [description, ...]}}). Adds what is missing, changes nothing that exists; "
        "safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the dropdown_data.json file")
        parser.add_argument("--dry-run", action="store_true", help="show what would be added, write nothing")

    def handle(self, *args: Any, path: Path, dry_run: bool, **options: Any) -> None:
        data = self._read(path)
        counts = {"assets": 0, "systems": 0, "descriptions": 0}
        with transaction.atomic():
            for asset_position, (asset_name, systems) in enumerate(data.items(), start=1):
                asset = HvacAsset.objects.filter(name=asset_name).first()
                if asset is None:
                    counts["assets"] += 1
                    self.stdout.write(f"asset {asset_name!r}")
                    asset = HvacAsset.objects.create(name=asset_name, position=asset_position * 10)
                for system_position, (system_name, descriptions) in enumerate(systems.items(), start=1):
                    system = HvacSystem.objects.filter(asset=asset, name=system_name).first()
                    if system is None:
                        counts["systems"] += 1
                        self.stdout.write(f"system {asset_name!r} / {system_name!r}")
                        system = HvacSystem.objects.create(asset=asset, name=system_name, position=system_position * 10)
                    existing = set(system.descriptions.values_list("text", flat=True))
                    for position, text in enumerate(descriptions, start=1):
                        if text in existing:
                            continue
                        existing.add(text)
                        counts["descriptions"] += 1
                        HvacDescription.objects.create(system=system, text=text, position=position * 10)
            if dry_run:
                transaction.set_rollback(True)
        verb = "would add" if dry_run else "added"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {counts['assets']} assets, {counts['systems']} systems, "
                f"{counts['descriptions']} descriptions from {path}"
            )
        )

    def _read(self, path: Path) -> dict[str, dict[str, list[str]]]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{path}: not a JSON document ({error})") from error
        valid = isinstance(data, dict) and all(
            isinstance(asset, str)
            and isinstance(systems, dict)
            and all(
                isinstance(system, str)
                and isinstance(descriptions, list)
                and all(isinstance(text, str) and text.strip() for text in descriptions)
                for system, descriptions in systems.items()
            )
            for asset, systems in data.items()
        )
        if not valid:
            raise CommandError(f"{path}: expected {{asset: {{system: [description, ...]}}}} with non-empty strings")
        return data
