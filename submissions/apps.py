from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = "Submissions"

    def ready(self) -> None:
        from submissions.inspector import receivers  # noqa: F401 - clears the taxonomy cache on edits
