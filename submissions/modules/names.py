"""The names of the built-in modules (``Submission.module``'s values)."""

from __future__ import annotations

from django.db import models


class Module(models.TextChoices):
    HVAC_MEP = "hvac_mep", "HVAC & MEP"
    CIVIL = "civil", "Civil works"
    CLEANING = "cleaning", "Cleaning assessment"
