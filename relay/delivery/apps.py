from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "relay.delivery"
    label = "delivery"
