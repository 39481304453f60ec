"""Login forms (ours and the admin's) that refuse attempts while an account or address is throttled."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.throttle import THROTTLED, login_wait_seconds, normalise_email
from audit.context import client_ip
from audit.services import Action, audit_record


class ThrottledLoginMixin:
    """Checks the failed-login count before the password is even looked at, and records the
    login once the password is accepted (failures are recorded by ``accounts.receivers``)."""

    request: Any
    throttled = False

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        email = normalise_email(data.get("username") or "")
        if email:
            wait = login_wait_seconds(email=email, ip_address=client_ip(self.request) if self.request else "")
            if wait:
                self.throttled = True
                audit_record(action=Action.LOGIN_FAILED, details={"email": email, "reason": THROTTLED})
                minutes = max(1, round(wait / 60))
                raise forms.ValidationError(
                    f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                    code="throttled",
                )
        data = super().clean()  # type: ignore[misc]
        user = self.get_user()  # type: ignore[attr-defined]
        if user is not None:  # None: no valid e-mail was given, so no password was checked
            # Both login views log the user in as soon as the form is valid.
            audit_record(actor=user, action=Action.LOGIN, resource=user, details={"email": user.email})
        return data


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email", max_length=255, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email or password is not correct.",
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
