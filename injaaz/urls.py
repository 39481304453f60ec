"""URL configuration: the admin, accounts, and each app's routes."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.forms import AdminLoginForm
from injaaz import views

admin.site.site_header = "Injaaz administration"
admin.site.site_title = "Injaaz"
admin.site.login_form = AdminLoginForm  # throttled like ours (audited by the auth signals)

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("jobs/", include("jobs.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("submissions.inspector.urls")),
]
