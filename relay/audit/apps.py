from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "relay.audit"
    label = "audit"
