from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "relay.accounts"
    label = "accounts"
    verbose_name = "Accounts and keys"
