from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "relay.hub"
    label = "hub"
