"""Login (throttled, answers 429 while throttled), logout, password change and reset.

Password change and reset are Django's own views with our templates; mail goes through
``EMAIL_BACKEND`` (the console by default).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 429 if getattr(form, "throttled", False) else 200
        return response
