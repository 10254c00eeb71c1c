"""Choosing notifications, one-click unsubscribe, and sending what is due (the worker).

A notification says only that there is something new (``wording.py``); it never names a
person or a case or carries anything anyone wrote. It goes on the channels the person chose
(opt-in), one per batch of updates, never in their quiet hours.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import require_usable
from relay.accounts.models import User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.errors import AccessDenied, InvalidRequest
from relay.metrics import NOTIFICATIONS_FAILED, NOTIFICATIONS_SENT
from relay.notifications import sms, wording
from relay.notifications.models import Channel, NotificationPreference
from relay.notifications.rules import batch_ready, in_quiet_hours
from relay.notifications.selectors import first_pending

logger = logging.getLogger(__name__)
PHONE = re.compile(r"\+[1-9]\d{6,14}")


def _quiet(value: str | None, name: str) -> time | None:
    if value in (None, ""):
        return None
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        # Whole sentences, so that a translator sees each as it is shown.
        message = (
            gettext("Give the start of the quiet hours as HH:MM.")
            if name == "start"
            else gettext("Give the end of the quiet hours as HH:MM.")
        )
        raise InvalidRequest(message) from None


@transaction.atomic
def set_notifications(
    *,
    actor: User,
    channels: list[str],
    email: str = "",
    phone: str = "",
    quiet_start: str | None = None,
    quiet_end: str | None = None,
    time_zone: str = "Europe/London",
) -> NotificationPreference:
    """A person chooses whether and how to be told of updates, for themself only.

    Who: any signed-in person, for their own account. Refuses an unknown channel, a
    channel without its contact detail, a malformed e-mail address or phone number (E.164,
    ``+447700900123``), half-given or malformed quiet hours and an unknown time zone.
    Opting in starts from now: nothing already in the stream is notified. Audits:
    NOTIFICATIONS_CHANGED with the channels and whether each detail is given (never the
    details). Emits: nothing.
    """
    actor = require_usable(actor)
    chosen = sorted(set(channels))
    if any(c not in Channel.values for c in chosen):
        raise InvalidRequest(
            gettext("Choose channels from: %(channels)s.")
            % {"channels": ", ".join(Channel.values)}
        )
    email, phone = email.strip(), phone.strip().replace(" ", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidRequest(gettext("That email address does not look right.")) from None
    if phone and not PHONE.fullmatch(phone):
        raise InvalidRequest(
            gettext("Give the mobile number in international form, like +447700900123.")
        )
    if Channel.EMAIL in chosen and not email:
        raise InvalidRequest(gettext("Give an email address to get emails."))
    if Channel.SMS in chosen and not phone:
        raise InvalidRequest(gettext("Give a mobile number to get text messages."))
    start, end = _quiet(quiet_start, "start"), _quiet(quiet_end, "end")
    if (start is None) != (end is None):
        raise InvalidRequest(
            gettext("Give both the start and the end of the quiet hours, or neither.")
        )
    if time_zone not in zoneinfo.available_timezones():
        raise InvalidRequest(gettext("That time zone is not known."))
    pref, _ = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
    if chosen and not pref.channels:
        # Opting in starts now: updates from before are not announced.
        pref.notified_seq = User.objects.values_list("event_seq", flat=True).get(pk=actor.pk)
    pref.channels, pref.email, pref.phone = chosen, email, phone
    pref.quiet_start, pref.quiet_end, pref.time_zone = start, end, time_zone
    pref.save()
    record(
        AuditEventType.NOTIFICATIONS_CHANGED, actor=actor, channels=chosen,
        email=bool(email), phone=bool(phone), quiet_hours=start is not None,
    )
    return pref


@transaction.atomic
def unsubscribe(*, token: str) -> NotificationPreference:
    """One-click unsubscribe (RFC 8058): the link's holder turns every notification off.

    Who: whoever holds the link (it was sent only to the person). Refuses an unknown token
    with ``AccessDenied``. Audits: NOTIFICATIONS_UNSUBSCRIBED, as the person (once; a second
    click changes nothing and records nothing). Emits: nothing.
    """
    pref = (
        NotificationPreference.objects.select_for_update()
        .filter(unsubscribe_token=token)
        .select_related("user")
        .first()
    )
    if pref is None or not token:
        raise AccessDenied()
    if pref.channels:
        pref.channels = []
        pref.save(update_fields=["channels", "updated_at"])
        record(AuditEventType.NOTIFICATIONS_UNSUBSCRIBED, actor=pref.user)
    return pref


def unsubscribe_url(pref: NotificationPreference) -> str:
    path = reverse("notifications-unsubscribe", args=[pref.unsubscribe_token])
    return settings.RELAY_SITE_URL.rstrip("/") + path


def _send_email(pref: NotificationPreference) -> None:
    link = unsubscribe_url(pref)
    message = EmailMessage(
        subject=wording.SUBJECT,
        body=wording.email_body(settings.RELAY_SITE_URL, link),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[pref.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.send(fail_silently=False)


def _send_sms(pref: NotificationPreference) -> None:
    sms.backend().send(pref.phone, wording.sms_body(settings.RELAY_SITE_URL))


SENDERS = {Channel.EMAIL: _send_email, Channel.SMS: _send_sms}


@dataclass
class NotificationRun:
    sent: int = 0
    failed: int = 0
    quiet: int = 0
    waiting: int = 0


def send_due_notifications(*, now: datetime | None = None) -> NotificationRun:
    """Send one notification to each person whose batch of updates is ready, on each
    channel they chose, outside their quiet hours; a failed channel stays pending and is
    tried at the next run.

    Who: the worker's periodic job and ``manage.py send_notifications``. Audits: nothing (a
    notification decides nothing). Emits: nothing.
    """
    now = now or timezone.now()
    run = NotificationRun()
    batch = timedelta(seconds=settings.RELAY_NOTIFICATION_BATCH_SECONDS)
    interval = timedelta(seconds=settings.RELAY_NOTIFICATION_MIN_INTERVAL_SECONDS)
    candidates = NotificationPreference.objects.exclude(channels=[]).values_list("pk", flat=True)
    for user_id in list(candidates):
        with transaction.atomic():
            pref = (
                NotificationPreference.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(pk=user_id)
                .first()
            )
            if pref is None or not pref.channels or pref.user.suspended_at is not None:
                continue
            _send_one(pref, now=now, batch=batch, interval=interval, run=run)
    if run.sent or run.failed:
        logger.info("notifications sent", extra={"event": "notifications", "sent": run.sent,
                                                  "failed": run.failed})
    return run


def _send_one(
    pref: NotificationPreference, *, now: datetime, batch: timedelta, interval: timedelta,
    run: NotificationRun,
) -> None:
    oldest, latest = first_pending(pref)
    if oldest is None:
        if latest != pref.notified_seq:  # only updates not worth a notification
            pref.notified_seq = latest
            pref.save(update_fields=["notified_seq"])
        return
    if not batch_ready(now=now, first_pending=oldest, last_sent=pref.last_sent_at,
                       batch=batch, min_interval=interval):
        run.waiting += 1
        return
    if in_quiet_hours(now, pref.quiet_start, pref.quiet_end, pref.time_zone):
        run.quiet += 1
        return
    failed: list[Any] = []
    for channel in pref.channels:
        try:
            SENDERS[Channel(channel)](pref)
            NOTIFICATIONS_SENT.labels(channel).inc()
        except Exception:  # noqa: BLE001 - any failure leaves the batch pending
            NOTIFICATIONS_FAILED.labels(channel).inc()
            failed.append(channel)
            logger.exception("a notification failed", extra={"channel": channel})
    if failed:
        run.failed += 1
        return
    run.sent += 1
    pref.notified_seq, pref.last_sent_at = latest, now
    pref.save(update_fields=["notified_seq", "last_sent_at"])
