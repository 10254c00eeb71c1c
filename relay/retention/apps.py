from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "relay.retention"
    label = "retention"
    verbose_name = "Retention and crypto-shredding"

    def ready(self) -> None:
        from relay.retention import checks  # noqa: F401 - registers the system checks
