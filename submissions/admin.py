from django.contrib import admin

from submissions.models import Submission, UploadedFile


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin[Submission]):
    list_display = ("submission_id", "module", "site_name", "visit_date", "status", "user", "created_at")
    list_filter = ("module", "status")
    list_select_related = ("user",)
    search_fields = ("=submission_id",)
    readonly_fields = ("submission_id", "created_at", "updated_at")
    raw_id_fields = ("user",)


@admin.register(UploadedFile)
class UploadedFileAdmin(admin.ModelAdmin[UploadedFile]):
    list_display = ("id", "submission", "file_type", "original_filename", "file_size", "uploaded_at")
    list_filter = ("file_type",)
    list_select_related = ("submission",)
    raw_id_fields = ("submission",)
