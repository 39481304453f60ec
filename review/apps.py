from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review and approval"

    def ready(self) -> None:
        from review import receivers  # noqa: F401 - clears the cached stages on edits
