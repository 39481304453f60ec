"""Inspector routes: the forms at the old app's paths, its JSON routes, and the submission pages."""

from __future__ import annotations

from django.urls import include, path, register_converter

from submissions.inspector import api, legacy_api, views
from submissions.models import Module


class JobIdConverter:
    regex = r"[A-Za-z0-9_\-]{1,50}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(JobIdConverter, "job_id")

hvac_mep = (
    [
        path("form", views.inspection_form, {"module": Module.HVAC_MEP}, name="form"),
        path("upload-photo", legacy_api.upload_photo, {"module": Module.HVAC_MEP}, name="upload_photo"),
        path("submit-with-urls", legacy_api.hvac_submit_with_urls, name="submit_with_urls"),
        path("submit", legacy_api.hvac_submit, name="submit"),
        path("status/<job_id:job_id>", legacy_api.job_status, {"module": Module.HVAC_MEP}, name="status"),
        path("dropdowns", legacy_api.hvac_dropdowns, name="dropdowns"),
    ],
    "hvac_mep",
)
civil = (
    [
        path("form", views.inspection_form, {"module": Module.CIVIL}, name="form"),
        path("upload-photo", legacy_api.upload_photo, {"module": Module.CIVIL}, name="upload_photo"),
        path("submit", legacy_api.civil_submit, name="submit"),
        path("submit-with-urls", legacy_api.civil_submit_with_urls, name="submit_with_urls"),
        path("status/<job_id:job_id>", legacy_api.job_status, {"module": Module.CIVIL}, name="status"),
        path("dropdowns", legacy_api.civil_dropdowns, name="dropdowns"),
    ],
    "civil",
)
cleaning = (
    [
        path("", views.home_redirect("cleaning"), name="index"),
        path("form", views.inspection_form, {"module": Module.CLEANING}, name="form"),
        path("upload-photo", legacy_api.upload_photo, {"module": Module.CLEANING}, name="upload_photo"),
        path("submit", legacy_api.cleaning_submit, name="submit"),
        path("submit-with-urls", legacy_api.cleaning_submit_with_urls, name="submit_with_urls"),
        path("job-status/<job_id:job_id>", legacy_api.job_status, {"module": Module.CLEANING}, name="status"),
    ],
    "cleaning",
)

urlpatterns = [
    path("hvac-mep/", include(hvac_mep)),
    path("civil/", include(civil)),
    path("cleaning/", include(cleaning)),
    path("submissions/", views.my_submissions, name="my_submissions"),
    path("submissions/<str:submission_id>/", views.submission_detail, name="submission_detail"),
    path("files/<path:name>", views.stored_file, name="stored_file"),
    path("api/modules/<str:module>/schema", api.module_schema_view, name="module_schema"),
    # Every declared module's form and photo upload (the built-ins' paths above say the same;
    # these also serve a module declared later, e.g. by a test).
    path("<slug:url_prefix>/form", views.inspection_form, name="module_form"),
    path("<slug:url_prefix>/upload-photo", legacy_api.upload_photo, name="module_upload_photo"),
]
