"""Accounts: login by email, logout, password change and reset, throttled and audited logins."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import ThrottleCounter
from accounts.throttle import login_attempt_reserve
from audit.models import AuditLog

pytestmark = pytest.mark.django_db


def login(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def test_login_by_email_any_case_and_logout_are_audited(client: Client, inspector: Any) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'type="email"' in page.content.decode()
    response = login(client, inspector.email.upper(), inspector.raw_password, HTTP_USER_AGENT="Phone/1.0")
    assert response.status_code == 302 and response["Location"] == "/"
    entry = AuditLog.objects.get(action="login")
    assert (entry.user, entry.resource_type, entry.user_agent, entry.ip_address) == (
        inspector,
        "user",
        "Phone/1.0",
        "127.0.0.1",
    )
    home = client.get("/").content.decode()
    assert "New HVAC &amp; MEP inspection" in home and "Log out" in home
    assert client.get("/accounts/logout/").status_code == 405  # logout is a POST (CSRF-protected)
    assert client.post("/accounts/logout/").status_code == 302
    assert AuditLog.objects.get(action="logout").user == inspector
    assert client.get("/hvac-mep/form").status_code == 302


def test_a_failed_login_is_audited_with_the_email(client: Client, inspector: Any) -> None:
    response = login(client, inspector.email, "wrong")
    assert response.status_code == 200
    assert "The email or password is not correct." in response.content.decode()
    entry = AuditLog.objects.get(action="login_failed")
    assert entry.user is None
    assert entry.details == {"email": inspector.email, "reason": "bad_credentials"}
    login(client, "nobody@example.com", "x")
    assert AuditLog.objects.filter(action="login_failed", details__email="nobody@example.com").count() == 1


def test_inactive_users_cannot_log_in(client: Client, make_user: Any) -> None:
    user = make_user("inspector", is_active=False)
    assert login(client, user.email, user.raw_password).status_code == 200
    assert AuditLog.objects.filter(action="login_failed").count() == 1


def test_repeated_failures_are_throttled(client: Client, inspector: Any, settings: Any) -> None:
    settings.INJAAZ_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(client, inspector.email, "wrong").status_code == 200
    # Now even the right password is refused, without being checked, until the window passes.
    blocked = login(client, inspector.email, inspector.raw_password)
    assert blocked.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    throttled = AuditLog.objects.filter(action="login_failed", details__reason="throttled")
    assert list(throttled.values_list("details__email", flat=True)) == [inspector.email]
    # Other accounts are not affected.
    other = Client()
    assert login(other, "someone.else@example.com", "x").status_code == 200

    # The window is 15 minutes from the first counted check; once it has passed, the count restarts.
    first = AuditLog.objects.filter(details__reason="bad_credentials").order_by("created_at")[0].created_at
    assert 0 < login_attempt_reserve(email=inspector.email, now=first + dt.timedelta(minutes=14)) <= 60
    assert login_attempt_reserve(email=inspector.email, now=first + dt.timedelta(minutes=15, seconds=1)) == 0
    ThrottleCounter.objects.update(window_ends_at=timezone.now())  # the window has passed
    assert login(client, inspector.email, inspector.raw_password).status_code == 302


def test_a_successful_login_resets_the_count(client: Client, inspector: Any, settings: Any) -> None:
    settings.INJAAZ_LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        login(client, inspector.email, "wrong")
    assert login(client, inspector.email, inspector.raw_password).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert login(client, inspector.email, "wrong").status_code == 200
    assert login(client, inspector.email, inspector.raw_password).status_code == 302


def test_one_address_failing_for_many_accounts_is_throttled(client: Client, settings: Any, inspector: Any) -> None:
    settings.INJAAZ_LOGIN_MAX_FAILURES = 2  # 20 per address
    for number in range(20):
        login(client, f"guess{number}@example.com", "x")
    assert login(client, inspector.email, inspector.raw_password).status_code == 429
    elsewhere = login(Client(REMOTE_ADDR="10.9.8.7"), inspector.email, inspector.raw_password)
    assert elsewhere.status_code == 302


def test_the_admin_login_is_throttled_too(client: Client, staff_user: Any, settings: Any) -> None:
    settings.INJAAZ_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post("/admin/login/", {"username": staff_user.email, "password": "wrong"})
    response = client.post("/admin/login/", {"username": staff_user.email, "password": staff_user.raw_password})
    assert "Too many failed attempts" in response.content.decode()
    assert AuditLog.objects.filter(action="login_failed", details__email=staff_user.email).count() == 3


def test_password_change(client: Client, inspector: Any) -> None:
    client.force_login(inspector)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": inspector.raw_password,
            "new_password1": "brand-new-Secret-42",
            "new_password2": "brand-new-Secret-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/done/"
    client.post("/accounts/logout/")
    assert login(client, inspector.email, "brand-new-Secret-42").status_code == 302


def test_password_reset_by_email(client: Client, inspector: Any) -> None:
    response = client.post("/accounts/password/reset/", {"email": inspector.email.upper()})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [inspector.email]
    assert mail.outbox[0].subject == "Injaaz password reset"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "reset-Secret-77", "new_password2": "reset-Secret-77"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    assert login(client, inspector.email, "reset-Secret-77").status_code == 302
    # Unknown addresses get the same answer and no mail.
    assert client.post("/accounts/password/reset/", {"email": "ghost@example.com"}).status_code == 302
    assert len(mail.outbox) == 1


def test_email_backend_is_the_console_by_default() -> None:
    from injaaz import settings as project_settings

    assert project_settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def reset(client: Client, email: str) -> Any:
    response = client.post("/accounts/password/reset/", {"email": email})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    return response


def test_twenty_reset_requests_for_one_address_send_at_most_the_limit(client: Client, inspector: Any) -> None:
    for _ in range(20):
        reset(client, inspector.email)  # the same answer each time, sent or not
    assert len(mail.outbox) == 3  # INJAAZ_PASSWORD_RESET_MAX_PER_EMAIL
    for _ in range(20):
        reset(client, "ghost@example.com")  # unknown: the same answer, no mail, the same counting
    assert len(mail.outbox) == 3
    ThrottleCounter.objects.update(window_ends_at=timezone.now())  # the hour has passed
    reset(client, inspector.email)
    assert len(mail.outbox) == 4


def test_reset_requests_from_one_address_are_limited_across_accounts(
    client: Client, make_user: Any, settings: Any
) -> None:
    settings.INJAAZ_PASSWORD_RESET_MAX_PER_IP = 4
    users = [make_user("inspector") for _ in range(6)]
    for user in users:
        reset(client, user.email)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(user.email for user in users[:4])
    reset(Client(REMOTE_ADDR="10.9.8.7"), users[5].email)
    assert mail.outbox[-1].to == [users[5].email] and len(mail.outbox) == 5
