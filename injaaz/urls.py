"""URL configuration: the admin, accounts, and each app's routes."""

from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm
from injaaz import views
from review import views as review_views

admin.site.site_header = "Injaaz administration"
admin.site.site_title = "Injaaz"
admin.site.login_form = AdminLoginForm  # throttled like ours (audited by the auth signals)

urlpatterns = [
    path("", review_views.home, name="home"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("jobs/", include("jobs.urls")),
    path("accounts/", include("accounts.urls")),
    path("review/", include("review.urls")),
    path("", include("submissions.inspector.urls")),
]
