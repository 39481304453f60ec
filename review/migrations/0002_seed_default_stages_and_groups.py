"""Seed the reviewer groups and the default stage list every module uses (docs/REVIEW.md).

Operations manager review → Business development + Procurement (one stage, both needed) →
General manager approval. Reversible: unapplying removes the stages and the groups it made
(a group already holding members or used elsewhere is left alone).
"""

from django.conf import settings
from django.db import migrations

GROUPS = ("Operations managers", "Business development", "Procurement", "General managers")

# (position, stage name, signature required, [(slot name, group name)])
DEFAULT_STAGES = (
    (1, "Operations manager review", True, [("Operations manager", "Operations managers")]),
    (
        2,
        "Business development and procurement review",
        False,
        [("Business development", "Business development"), ("Procurement", "Procurement")],
    ),
    (3, "General manager approval", True, [("General manager", "General managers")]),
)


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ReviewStage = apps.get_model("review", "ReviewStage")
    ReviewSlot = apps.get_model("review", "ReviewSlot")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in GROUPS}
    for position, name, signature_required, slots in DEFAULT_STAGES:
        stage, created = ReviewStage.objects.get_or_create(
            module="", position=position, defaults={"name": name, "signature_required": signature_required}
        )
        if not created:
            continue
        for slot_position, (slot_name, group_name) in enumerate(slots, start=1):
            ReviewSlot.objects.create(stage=stage, name=slot_name, group=groups[group_name], position=slot_position)


def unseed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ReviewStage = apps.get_model("review", "ReviewStage")
    ReviewSlot = apps.get_model("review", "ReviewSlot")
    names = [name for _position, name, _signature, _slots in DEFAULT_STAGES]
    ReviewStage.objects.filter(module="", name__in=names).delete()
    User = apps.get_model(settings.AUTH_USER_MODEL)
    for group in Group.objects.filter(name__in=GROUPS):
        members = User.groups.through.objects.filter(group_id=group.pk).exists()
        if not members and not ReviewSlot.objects.filter(group_id=group.pk).exists():
            # Not group.delete(): its cascade collector trips over the historical models of
            # two apps; nothing but its permissions can point at a group without members or slots.
            Group.permissions.through.objects.filter(group_id=group.pk).delete()
            schema_editor.execute("DELETE FROM auth_group WHERE id = %s", [group.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_review_stages_decisions_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(seed, unseed)]
