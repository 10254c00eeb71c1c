"""Key trust becomes a (case, key) fact, and reset codes are told apart from first codes.

Each existing verification is given the case it was recorded in, read from its
KEY_VERIFIED audit event (one row per case if the same facilitator verified the key in
several). A verification whose case cannot be found is dropped: that key must be verified
again before anything is forwarded to it, which fails safe.

Unused codes of people who already have a key can only have come from a reset, so they
are marked as reset codes and keep working.
"""

from django.db import migrations, models
import django.db.models.deletion

KEY_VERIFIED = 11


def give_verifications_their_case(apps, schema_editor):
    KeyVerification = apps.get_model("accounts", "KeyVerification")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for verification in KeyVerification.objects.filter(case__isnull=True):
        case_ids = sorted(
            {
                str(case_id)
                for case_id in AuditEvent.objects.filter(
                    event_type=KEY_VERIFIED,
                    actor_id=verification.verified_by_id,
                    data__key=verification.key_id,
                    case_id__isnull=False,
                ).values_list("case_id", flat=True)
            }
        )
        if not case_ids:
            verification.delete()
            continue
        verification.case_id = case_ids[0]
        verification.save(update_fields=["case"])
        for case_id in case_ids[1:]:
            KeyVerification.objects.create(
                key_id=verification.key_id,
                verified_by_id=verification.verified_by_id,
                method=verification.method,
                case_id=case_id,
            )


def mark_reset_codes(apps, schema_editor):
    Invitation = apps.get_model("accounts", "Invitation")
    PublicKey = apps.get_model("accounts", "PublicKey")
    with_keys = PublicKey.objects.values("user_id")
    Invitation.objects.filter(used_at__isnull=True, user_id__in=with_keys).update(for_reset=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_invitation_recoverywrap"),
        ("audit", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="keyverification",
            name="case",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.RunPython(give_verifications_their_case, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="keyverification",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="cases.case"
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="for_reset",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_reset_codes, migrations.RunPython.noop),
    ]
