from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "relay.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from relay.cases import hooks
        from relay.scheduling import actions, checks  # noqa: F401 (registers the checks)

        hooks.add_case_listener(actions.on_case_change)
