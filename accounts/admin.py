from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from injaaz.admin_tools import AuditedAdminMixin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    """Users; every add, change (password included) and delete is audited by ``AuditedAdminMixin``."""

    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_active")
    search_fields = ("email", "full_name")
    readonly_fields = ("created_at", "last_login")
    show_facets = admin.ShowFacets.NEVER
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "role", "password1", "password2")}),
    )
