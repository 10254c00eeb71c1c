from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "relay.attachments"
    label = "attachments"

    def ready(self) -> None:
        # Imported here, not at the top: the models must be loaded first.
        from relay.attachments.actions import erase_attachments
        from relay.retention.actions import register_eraser

        register_eraser("attachments", erase_attachments)
