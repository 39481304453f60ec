"""Review routes: the queue, a report's review page and its actions, versions."""

from __future__ import annotations

from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.review_list, name="queue"),
    path("<str:submission_id>/", views.review_detail, name="detail"),
    path("<str:submission_id>/decide", views.review_decide, name="decide"),
    path("<str:submission_id>/reopen", views.review_reopen_view, name="reopen"),
    path("<str:submission_id>/edit", views.review_edit, name="edit"),
    path("<str:submission_id>/versions/<int:number>/", views.review_version, name="version"),
]
