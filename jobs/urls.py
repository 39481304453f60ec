"""Report job routes: ``jobs:status`` and ``jobs:download``."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("<str:job_id>/status", views.job_status, name="status"),
    # ``path``: a report URL imported from the old app may hold an encoded slash (``a%2Fb.xlsx``).
    path("<str:job_id>/files/<path:filename>", views.job_download, name="download"),
]
