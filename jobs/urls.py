"""Report job routes: ``jobs:status`` and ``jobs:download``."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("<str:job_id>/status", views.job_status, name="status"),
    path("<str:job_id>/files/<str:filename>", views.job_download, name="download"),
]
