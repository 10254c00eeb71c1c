from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "relay.moderation"
    label = "moderation"

    def ready(self) -> None:
        # Imported here, not at the top: the models must be loaded first.
        from relay.cases import hooks
        from relay.moderation.actions import void_pending_messages
        from relay.moderation.selectors import retractable_message_ids, revisable_message_ids

        hooks.set_on_withdrawal(void_pending_messages)
        hooks.set_revisable(revisable_message_ids)
        hooks.set_retractable(retractable_message_ids)
