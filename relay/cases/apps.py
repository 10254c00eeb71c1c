from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "relay.cases"
    label = "cases"
