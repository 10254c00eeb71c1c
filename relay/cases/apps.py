from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "relay.cases"
    label = "cases"

    def ready(self) -> None:
        # Accounts announces key changes to whoever relies on the key; who that is, is a
        # case rule (relay.accounts.ports). Imported here: models are not ready earlier.
        from relay.accounts.ports import set_key_audience
        from relay.cases.audience import key_change_audience

        set_key_audience(key_change_audience)
