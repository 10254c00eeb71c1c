"""One chain per case and one for account events, instead of one chain every write locks.

The events already in the log stay exactly as they are, as the ``legacy`` chain: their
``seq``, hashes, MACs and signed checkpoints keep verifying with the formulas they were
written with, and the old head becomes that chain's head. ``seq`` becomes a database
sequence that carries on after the last legacy event; new events go to the chain of their
case (or the account chain) and never to the legacy chain.
"""

from django.db import migrations, models
from django.db.models import F

LEGACY = "legacy"


def legacy_positions(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditEvent.objects.update(chain=LEGACY, chain_seq=F("seq"))


def carry_on_sequence(apps, schema_editor):
    """Start the new sequence after the last legacy event (PostgreSQL; SQLite's
    autoincrement already does)."""
    from django.core.management.color import no_style

    AuditEvent = apps.get_model("audit", "AuditEvent")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [AuditEvent]):
            cursor.execute(sql)


def legacy_head(apps, schema_editor):
    Old = apps.get_model("audit", "AuditChainHead")
    AuditChain = apps.get_model("audit", "AuditChain")
    head = Old.objects.filter(id=1).first()
    if head is not None and head.seq > 0:
        AuditChain.objects.create(chain=LEGACY, seq=head.seq, hash=head.hash)


def single_head(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if AuditEvent.objects.exclude(chain=LEGACY).exists():
        raise RuntimeError("The log holds events of per-case chains: it cannot go back to one chain.")
    Old = apps.get_model("audit", "AuditChainHead")
    AuditChain = apps.get_model("audit", "AuditChain")
    head = AuditChain.objects.filter(chain=LEGACY).first()
    if head is not None:
        Old.objects.create(id=1, seq=head.seq, hash=head.hash)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_auditevent_mac"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(default=LEGACY, max_length=48),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(legacy_positions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(carry_on_sequence, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "chain_seq"], name="audit_event_chain_seq"),
        ),
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("chain", models.CharField(max_length=48, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default="0" * 64, max_length=64)),
            ],
        ),
        migrations.RunPython(legacy_head, single_head),
        migrations.DeleteModel(name="AuditChainHead"),
    ]
