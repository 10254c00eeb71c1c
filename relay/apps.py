from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "relay"
    label = "relay"

    def ready(self) -> None:
        from relay import checks  # registers the relay.E… system checks

        checks.refuse_misconfigured_start()
