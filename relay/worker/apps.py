from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "relay.worker"
    label = "worker"
    verbose_name = "Background worker"
