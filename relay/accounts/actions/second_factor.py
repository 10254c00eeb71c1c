"""Setting up and replacing the second factor."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts.access import access_second_factor_change
from relay.accounts.models import User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.delivery.streams import revoke_sockets
from relay.errors import InvalidRequest

BACKUP_CODES = 10


@transaction.atomic
def begin_totp_setup(*, actor: User, verified: bool) -> TOTPDevice:
    """Create an unconfirmed authenticator-app device for the user, replacing any earlier
    unconfirmed one. Who: the signed-in user (with their current factor if they have one).
    Audits: SECOND_FACTOR_SETUP_STARTED (the device is not in force until confirmed)."""
    access_second_factor_change(actor, verified=verified)
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=actor, name="authenticator app", confirmed=False)
    record(AuditEventType.SECOND_FACTOR_SETUP_STARTED, actor=actor, user=str(actor.pk))
    return device


@transaction.atomic
def confirm_totp(*, actor: User, verified: bool, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the unconfirmed device with a code from the app; it replaces any earlier
    authenticator, and a fresh set of single-use backup codes replaces any earlier set.

    Who: the signed-in user. Audits: SECOND_FACTOR_CHANGED. Closes the user's sockets after
    commit (a factor change), so they reconnect under the new factor.
    """
    access_second_factor_change(actor, verified=verified)
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise InvalidRequest(
            gettext("Start setting up your authenticator app first."), code="no_setup"
        )
    if not device.verify_token(token):
        raise InvalidRequest(
            gettext("That code is not right. Check it and try again."), code="bad_token"
        )
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=actor).delete()
    static = StaticDevice.objects.create(user=actor, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    record(AuditEventType.SECOND_FACTOR_CHANGED, actor=actor, user=str(actor.pk))
    transaction.on_commit(lambda: revoke_sockets(actor.pk, reason="factor_changed"))
    return device, codes
