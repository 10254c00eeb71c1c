"""Add the link MAC, and seal the events already in the log under RELAY_AUDIT_KEY.

Sealing trusts the log as it stands at upgrade time (run ``verify_audit_log`` before
upgrading); a chain that is already broken stays broken, since the MAC covers the stored
hash and the hash is still recomputed. Run ``manage.py audit_checkpoint`` afterwards so the
existing events are checkpointed too.
"""

from django.conf import settings
from django.db import migrations, models


def seal_existing_events(apps, schema_editor):
    from relay.audit.keys import AuditKeys

    keys = AuditKeys.from_secret(settings.RELAY_AUDIT_KEY)
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        mac = keys.link_mac(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash)
        AuditEvent.objects.filter(seq=event.seq).update(mac=mac)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_key_wrap_replaced"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunPython(seal_existing_events, migrations.RunPython.noop),
    ]
