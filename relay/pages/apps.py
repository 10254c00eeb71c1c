from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "relay.pages"
    label = "pages"
    verbose_name = "Page shells for the browser client"
