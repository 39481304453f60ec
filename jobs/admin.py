from django.contrib import admin

from jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ("job_id", "submission", "status", "progress", "created_at", "completed_at")
    list_filter = ("status",)
    list_select_related = ("submission",)
    search_fields = ("=job_id",)
    raw_id_fields = ("submission",)
