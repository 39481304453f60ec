"""Audit rows for every logout and failed login, whichever page did it (ours or the admin's).

Django's auth signals are the one place all of them pass; the receivers only record. A login is
recorded by the login forms (``accounts.forms``) when the password is accepted, so sessions made
without a password (``force_login`` in tests and tools) are not reported as logins.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.throttle import BAD_CREDENTIALS, normalise_email
from audit.services import Action, audit_record


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        audit_record(actor=user, action=Action.LOGOUT, resource=user, details={"email": user.email})


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    email = normalise_email(str(credentials.get("username") or credentials.get("email") or ""))
    audit_record(action=Action.LOGIN_FAILED, details={"email": email, "reason": BAD_CREDENTIALS})
