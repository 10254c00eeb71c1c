from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "relay.moderation"
    label = "moderation"
