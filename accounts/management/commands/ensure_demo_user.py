"""Create the demo staff login for the embedded SQLite setup, printing its password once."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_EMAIL = "demo@injaaz.local"


class Command(BaseCommand):
    help = "Create a demo admin login on the embedded SQLite database (never on PostgreSQL)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("The demo login is only created on the embedded SQLite database.")
        if User.objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write(
                f"Demo login {DEMO_EMAIL} already exists (reset it: manage.py changepassword {DEMO_EMAIL})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_EMAIL, password, full_name="Demo Admin")
        self.stdout.write(self.style.SUCCESS("Created the demo login (shown once):"))
        self.stdout.write(f"  email:    {DEMO_EMAIL}\n  password: {password}")
