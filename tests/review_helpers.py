"""Helpers for the review tests: the five people of a review, and a filed HVAC report."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group

from submissions.models import Submission
from submissions.services import submission_create

GROUP_OF = {
    "ops": "Operations managers",
    "bd": "Business development",
    "procurement": "Procurement",
    "gm": "General managers",
}


@dataclass
class Team:
    author: Any
    ops: Any
    bd: Any
    procurement: Any
    gm: Any
    outsider: Any


def reviewer(make_user: Any, key: str, *, name: str = "") -> Any:
    user = make_user("user", full_name=name or f"{key.upper()} Reviewer", email=f"{key}@example.com")
    user.groups.add(Group.objects.get(name=GROUP_OF[key]))
    return user


def default_stages_ensure() -> None:
    """Seed the default stages and groups again when a transactional test's flush removed them."""
    from django.apps import apps

    seeding = importlib.import_module("review.migrations.0002_seed_default_stages_and_groups")
    seeding.seed(apps, None)


def team(make_user: Any) -> Team:
    default_stages_ensure()
    return Team(
        author=make_user("inspector", full_name="Ivy Inspector", email="author@example.com"),
        ops=reviewer(make_user, "ops", name="Omar Ops"),
        bd=reviewer(make_user, "bd", name="Bilal Business"),
        procurement=reviewer(make_user, "procurement", name="Priya Procurement"),
        gm=reviewer(make_user, "gm", name="Grace General"),
        outsider=make_user("inspector", full_name="Other Inspector", email="other@example.com"),
    )


def hvac_document(site: str = "Tower A", description: str = "Fan 1") -> dict[str, Any]:
    return {
        "site_name": site,
        "visit_date": "2026-11-20",
        "items": [{"asset": "HVAC", "system": "Extract Fans", "description": description, "photos": []}],
        "tech_signature": "",
        "opMan_signature": "",
    }


def file_report(author: Any, *, module: str = "hvac_mep", site: str = "Tower A") -> Submission:
    return submission_create(actor=author, module=module, form_data=hvac_document(site))


def stage_position(review: Any) -> int | None:
    return review.stage.position if review.stage is not None else None


def stage_name(review: Any) -> str | None:
    return review.stage.name if review.stage is not None else None
