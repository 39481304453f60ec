"""The project's own app config: process-wide set-up that belongs to no feature app."""

from django.apps import AppConfig


class InjaazConfig(AppConfig):
    name = "injaaz"
    verbose_name = "Injaaz"

    def ready(self) -> None:
        from injaaz.database import register_fork_handler

        register_fork_handler()
