"""Login forms (ours and the admin's) and the password reset form, throttled per e-mail and address."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from accounts.throttle import (
    THROTTLED,
    login_attempt_reserve,
    login_attempt_succeeded,
    normalise_email,
    password_reset_reserve,
)
from audit.context import client_ip
from audit.services import Action, audit_record

logger = logging.getLogger(__name__)


class ThrottledLoginMixin:
    """Reserves a password check (``accounts.throttle``) before the password is even looked at,
    refuses while the account or address is throttled, and records the login once the password
    is accepted (failures are recorded by ``accounts.receivers``)."""

    request: Any
    user_cache: Any
    throttled = False

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        email = normalise_email(data.get("username") or "")
        if not email:  # no valid e-mail: Django's form checks no password either
            return super().clean()  # type: ignore[misc]
        ip_address = client_ip(self.request) if self.request else ""
        wait = login_attempt_reserve(email=email, ip_address=ip_address)
        if wait:
            self.throttled = True
            audit_record(action=Action.LOGIN_FAILED, details={"email": email, "reason": THROTTLED})
            minutes = max(1, round(wait / 60))
            raise forms.ValidationError(
                f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            )
        try:
            data = super().clean()  # type: ignore[misc]
        finally:
            if self.user_cache is not None:  # the password was right (the account may still be refused here)
                login_attempt_succeeded(email=email, ip_address=ip_address)
        user = self.get_user()  # type: ignore[attr-defined]
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


class PasswordResetForm(DjangoPasswordResetForm):
    """Sends at most ``INJAAZ_PASSWORD_RESET_MAX_PER_EMAIL`` mails per address and window, and
    takes at most ``INJAAZ_PASSWORD_RESET_MAX_PER_IP`` requests per client address. Every request
    counts, for a known address or not, and the page answers the same either way: the throttle
    tells no one which addresses have accounts."""

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]
        request = kwargs.get("request")
        email = normalise_email(self.cleaned_data["email"])
        if password_reset_reserve(email=email, ip_address=client_ip(request) if request else ""):
            logger.warning("Password reset for %s refused: too many requests", email)
            return
        super().save(**kwargs)
