from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "relay.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from relay.notifications import checks  # noqa: F401 - registers the system checks
