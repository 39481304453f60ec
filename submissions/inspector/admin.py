"""Staff edit the HVAC taxonomy here; new forms pick changes up immediately."""

from __future__ import annotations

from django.contrib import admin

from submissions.inspector.models import HvacAsset, HvacDescription, HvacSystem


class HvacSystemInline(admin.TabularInline[HvacSystem, HvacAsset]):
    model = HvacSystem
    extra = 0
    fields = ("name", "position", "is_active")
    show_change_link = True


class HvacDescriptionInline(admin.TabularInline[HvacDescription, HvacSystem]):
    model = HvacDescription
    extra = 1
    fields = ("text", "position", "is_active")


@admin.register(HvacAsset)
class HvacAssetAdmin(admin.ModelAdmin[HvacAsset]):
    list_display = ("name", "position", "is_active")
    list_editable = ("position", "is_active")
    search_fields = ("name",)
    inlines = (HvacSystemInline,)


@admin.register(HvacSystem)
class HvacSystemAdmin(admin.ModelAdmin[HvacSystem]):
    list_display = ("name", "asset", "position", "is_active")
    list_filter = ("asset", "is_active")
    list_select_related = ("asset",)
    search_fields = ("name", "asset__name")
    inlines = (HvacDescriptionInline,)


@admin.register(HvacDescription)
class HvacDescriptionAdmin(admin.ModelAdmin[HvacDescription]):
    list_display = ("text", "system", "position", "is_active")
    list_filter = ("system__asset", "is_active")
    list_select_related = ("system__asset",)
    search_fields = ("text", "system__name")
