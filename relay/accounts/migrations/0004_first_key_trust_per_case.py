"""A first key is trusted without a verification only in the case whose code enrolled it.

Each first key registered by enrolment (``ACCOUNT_ENROLLED`` naming no replaced key) gets
the case of the last ``INVITATION_CREATED`` before it for one of its owner's participations
(issuing a code deletes the person's earlier one, so that was the code used). Each unused
first code gets its case the same way. Where the audit log does not tell, the case stays
unknown: that key is trusted in no case until a facilitator of the case verifies it, which
fails safe.
"""

from django.db import migrations, models
import django.db.models.deletion

ACCOUNT_ENROLLED = 41
INVITATION_CREATED = 46


def _issuing_case(AuditEvent, participations, *, before=None, actor_id=None):
    """The case of the last code issued for one of ``participations`` ((case_id, side)
    pairs), before audit sequence ``before`` and by ``actor_id`` when given, or None."""
    events = AuditEvent.objects.filter(
        event_type=INVITATION_CREATED, case_id__in={case_id for case_id, _ in participations}
    )
    if before is not None:
        events = events.filter(seq__lt=before)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    for event in events.order_by("-seq"):
        if (event.case_id, (event.data or {}).get("side")) in participations:
            return event.case_id
    return None


def give_first_keys_their_case(apps, schema_editor):
    PublicKey = apps.get_model("accounts", "PublicKey")
    Invitation = apps.get_model("accounts", "Invitation")
    Participation = apps.get_model("cases", "Participation")
    AuditEvent = apps.get_model("audit", "AuditEvent")

    def participations_of(user_id):
        return set(Participation.objects.filter(user_id=user_id).values_list("case_id", "side"))

    for key in PublicKey.objects.filter(enrolled_in__isnull=True):
        enrolment = (
            AuditEvent.objects.filter(event_type=ACCOUNT_ENROLLED, data__key=key.key_id)
            .order_by("seq")
            .first()
        )
        if enrolment is None or (enrolment.data or {}).get("replaced") is not None:
            continue
        case_id = _issuing_case(
            AuditEvent, participations_of(key.user_id), before=enrolment.seq
        )
        if case_id is not None:
            key.enrolled_in_id = case_id
            key.save(update_fields=["enrolled_in"])

    for invitation in Invitation.objects.filter(
        used_at__isnull=True, for_reset=False, case__isnull=True, created_by__isnull=False
    ):
        case_id = _issuing_case(
            AuditEvent, participations_of(invitation.user_id), actor_id=invitation.created_by_id
        )
        if case_id is not None:
            invitation.case_id = case_id
            invitation.save(update_fields=["case"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_trust_per_case"),
        ("audit", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="publickey",
            name="enrolled_in",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.RunPython(give_first_keys_their_case, migrations.RunPython.noop),
    ]
