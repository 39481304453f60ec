"""Reference data for the inspector forms: the HVAC/MEP asset → system → description taxonomy.

The old app kept it in ``module_hvac_mep/dropdown_data.json``; here it is data staff edit in the
admin. Items of a submission store the display strings (``form_data`` never points at these rows),
so renaming an entry here never rewrites a filed report.
"""

from __future__ import annotations

from django.db import models


class HvacAsset(models.Model):
    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0, help_text="Order in the form's list (smallest first).")
    is_active = models.BooleanField(default=True, help_text="Inactive entries are hidden from new forms.")

    class Meta:
        db_table = "hvac_assets"
        ordering = ("position", "name")
        verbose_name = "HVAC asset"

    def __str__(self) -> str:
        return self.name


class HvacSystem(models.Model):
    asset = models.ForeignKey(HvacAsset, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "hvac_systems"
        ordering = ("asset__position", "position", "name")
        verbose_name = "HVAC system"
        constraints = [models.UniqueConstraint(fields=["asset", "name"], name="uq_hvac_systems_asset_name")]

    def __str__(self) -> str:
        return f"{self.asset.name} / {self.name}"


class HvacDescription(models.Model):
    system = models.ForeignKey(HvacSystem, on_delete=models.CASCADE, related_name="descriptions")
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "hvac_descriptions"
        ordering = ("position", "text")
        verbose_name = "HVAC description"
        constraints = [models.UniqueConstraint(fields=["system", "text"], name="uq_hvac_descriptions_system_text")]

    def __str__(self) -> str:
        return self.text
