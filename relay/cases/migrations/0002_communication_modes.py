"""Consent per communication mode uses the names of ``CommunicationMode``: letters travel
with messages, and video joins phone as a conference."""

from django.db import migrations

RENAMED = {"letters": "messages", "video": "conference"}


def rename_modes(apps, schema_editor):
    Participation = apps.get_model("cases", "Participation")
    for participation in Participation.objects.exclude(consented_modes=[]):
        modes = sorted({RENAMED.get(m, m) for m in participation.consented_modes})
        if modes != participation.consented_modes:
            participation.consented_modes = modes
            participation.save(update_fields=["consented_modes"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(rename_modes, migrations.RunPython.noop)]
