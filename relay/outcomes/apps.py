from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "relay.outcomes"
    label = "outcomes"
