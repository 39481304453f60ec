"""``manage.py maintenance on|off|status``: the big-bang migration's window, seen by every web process."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from submissions.maintenance.models import DEFAULT_RETRY_AFTER
from submissions.maintenance.selectors import maintenance_state_get
from submissions.maintenance.services import maintenance_disable, maintenance_enable


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container without a passwd entry)
        return ""


class Command(BaseCommand):
    help = (
        "Switch maintenance mode on or off, or show it. While on, inspector pages and APIs answer "
        "503 with Retry-After; the admin stays open. Each change is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("state", choices=["on", "off", "status"])
        parser.add_argument(
            "--retry-after",
            type=int,
            default=DEFAULT_RETRY_AFTER,
            help=f"seconds clients are told to wait (Retry-After), with 'on' (default {DEFAULT_RETRY_AFTER})",
        )
        parser.add_argument("--message", default="", help="text shown to inspectors, with 'on'")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["state"]
        if action == "on":
            if options["retry_after"] < 1:
                raise CommandError("--retry-after must be at least 1 second")
            maintenance_enable(message=options["message"], retry_after=options["retry_after"], by=_operator())
        elif action == "off":
            maintenance_disable(by=_operator())
        state = maintenance_state_get()
        if state.enabled:
            line = f"Maintenance mode is ON since {state.changed_at:%Y-%m-%d %H:%M:%S %Z} (Retry-After: {state.retry_after} s)"
            self.stdout.write(self.style.WARNING(line))
        else:
            self.stdout.write(self.style.SUCCESS("Maintenance mode is OFF"))
