"""Notifications: opt-in, content-free, batched, quiet hours, one-click unsubscribe."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from relay.audit.models import AuditEvent, AuditEventType
from relay.errors import AccessDenied, InvalidRequest
from relay.notifications import actions, wording
from relay.notifications.models import NotificationPreference
from relay.notifications.sms import HttpBackend, LocmemBackend, SmsError
from tests.conftest import free_port
from tests.envelopes import seal_from
from tests.factories import ShuttleCase, make_case, verified_session
from tests.test_no_plaintext import leaks

BATCH = timedelta(seconds=600)


@pytest.fixture(autouse=True)
def empty_sms_outbox():
    LocmemBackend.outbox.clear()
    yield
    LocmemBackend.outbox.clear()


def send(sc: ShuttleCase, text: str) -> None:
    client = verified_session(Client(), sc.harmed)
    envelope = seal_from(sc.harmed, sc, "question", text)
    response = client.post(
        "/api/messages", json.dumps({"envelope": envelope}), content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content


def opt_in(person, **kwargs) -> NotificationPreference:
    defaults = {
        "channels": ["email", "sms"],
        "email": "facilitator@example.org",
        "phone": "+447700900123",
    }
    return actions.set_notifications(actor=person.user, **{**defaults, **kwargs})


def later(seconds: float = 601):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.django_db
def test_nobody_is_notified_without_opting_in() -> None:
    sc = make_case()
    send(sc, "hello")
    run = actions.send_due_notifications(now=later())
    assert run.sent == 0 and mail.outbox == [] and LocmemBackend.outbox == []


@pytest.mark.django_db
def test_a_burst_becomes_one_notification_after_the_batch_window() -> None:
    sc = make_case()
    opt_in(sc.facilitator)
    for i in range(3):
        send(sc, f"message {i}")
    assert actions.send_due_notifications(now=later(60)).sent == 0  # still gathering
    assert actions.send_due_notifications(now=later()).sent == 1
    assert len(mail.outbox) == 1 and len(LocmemBackend.outbox) == 1
    # Nothing new since: nothing more.
    assert actions.send_due_notifications(now=later(7200)).sent == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_more_often_than_the_minimum_interval() -> None:
    sc = make_case()
    opt_in(sc.facilitator, channels=["email"])
    send(sc, "one")
    assert actions.send_due_notifications(now=later()).sent == 1
    send(sc, "two")
    assert actions.send_due_notifications(now=later(1200)).sent == 0
    assert actions.send_due_notifications(now=later(601 + 3600)).sent == 1
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_opting_in_does_not_announce_the_past() -> None:
    sc = make_case()
    send(sc, "before opting in")
    opt_in(sc.facilitator)
    assert actions.send_due_notifications(now=later()).sent == 0


@pytest.mark.django_db
def test_quiet_hours_hold_the_notification_until_they_end() -> None:
    sc = make_case()
    now = timezone.now()
    start = (now - timedelta(hours=1)).astimezone(timezone.UTC).strftime("%H:%M")
    end = (now + timedelta(hours=2)).astimezone(timezone.UTC).strftime("%H:%M")
    opt_in(sc.facilitator, channels=["email"], quiet_start=start, quiet_end=end, time_zone="UTC")
    send(sc, "at night")
    run = actions.send_due_notifications(now=now + BATCH + timedelta(seconds=1))
    assert run.sent == 0 and run.quiet == 1 and mail.outbox == []
    assert actions.send_due_notifications(now=now + timedelta(hours=2, minutes=1)).sent == 1


@pytest.mark.django_db
def test_no_content_name_or_case_in_any_notification() -> None:
    sc = make_case()
    sc.harmed.user.display_name = "Canary Person"
    sc.harmed.user.save(update_fields=["display_name"])
    opt_in(sc.facilitator)
    opt_in(sc.responsible, email="responsible@example.org", phone="+447700900456")
    canary = "CANARY-notification-text"
    send(sc, canary)
    actions.send_due_notifications(now=later())
    assert mail.outbox and LocmemBackend.outbox
    everything = "\n".join(
        [m.subject + m.body + json.dumps(dict(m.extra_headers)) for m in mail.outbox]
        + [t["body"] for t in LocmemBackend.outbox]
    )
    for needle in (
        canary,
        "Canary Person",
        sc.harmed.user.username,
        sc.case.reference,
        sc.id,
        sc.facilitator.user.username,
    ):
        assert needle not in everything
    assert not leaks(everything.encode(), canary)
    for message in mail.outbox:
        assert message.subject == wording.SUBJECT
        assert wording.TEXT in message.body
    assert all(t["body"].startswith(wording.TEXT) for t in LocmemBackend.outbox)


@pytest.mark.django_db
def test_one_click_unsubscribe_per_rfc_8058() -> None:
    sc = make_case()
    pref = opt_in(sc.facilitator, channels=["email"])
    send(sc, "x")
    actions.send_due_notifications(now=later())
    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")
    path = link.removeprefix("http://127.0.0.1:8000")
    # Following the link (a mail scanner does) unsubscribes no one.
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200
    pref.refresh_from_db()
    assert pref.channels == ["email"]
    # The mail client's one-click POST: no session, no CSRF token.
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    pref.refresh_from_db()
    assert pref.channels == []
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.NOTIFICATIONS_UNSUBSCRIBED, actor_id=sc.facilitator.user.pk
        ).count()
        == 1
    )
    client.post(path)  # again: nothing changes, nothing more recorded
    assert (
        AuditEvent.objects.filter(event_type=AuditEventType.NOTIFICATIONS_UNSUBSCRIBED).count() == 1
    )
    send(sc, "y")
    assert actions.send_due_notifications(now=later(7200)).sent == 0


@pytest.mark.django_db
def test_an_unknown_unsubscribe_token_is_404_and_changes_nothing() -> None:
    sc = make_case()
    pref = opt_in(sc.facilitator, channels=["email"])
    assert Client().post("/notifications/unsubscribe/not-a-token").status_code == 404
    assert Client().get("/notifications/unsubscribe/not-a-token").status_code == 404
    with pytest.raises(AccessDenied):
        actions.unsubscribe(token="")
    pref.refresh_from_db()
    assert pref.channels == ["email"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [
        {"channels": ["pigeon"]},
        {"channels": ["email"], "email": ""},
        {"channels": ["sms"], "phone": ""},
        {"channels": ["email"], "email": "not an address"},
        {"channels": ["sms"], "phone": "07700 900123"},
        {"quiet_start": "22:00"},
        {"quiet_start": "25:99", "quiet_end": "07:00"},
        {"time_zone": "Mars/Olympus"},
    ],
)
def test_bad_choices_are_refused_and_change_nothing(kwargs) -> None:
    sc = make_case()
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidRequest):
        opt_in(sc.harmed, **kwargs)
    assert not NotificationPreference.objects.filter(user=sc.harmed.user).exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_contact_details_only_for_the_person_and_their_facilitators() -> None:
    sc = make_case()
    other = make_case()
    opt_in(sc.harmed, email="harmed@example.org", phone="+447700900999")
    own = verified_session(Client(), sc.harmed).get("/api/notifications").json()
    assert own["email"] == "harmed@example.org" and own["channels"] == ["email", "sms"]
    path = f"/api/cases/{sc.id}/participants/harmed/contact"
    seen = verified_session(Client(), sc.facilitator).get(path).json()
    assert seen["phone"] == "+447700900999"
    for person in (sc.responsible, sc.manager, other.facilitator, sc.harmed):
        response = verified_session(Client(), person).get(path)
        assert response.status_code == 404
        assert "harmed@example.org" not in response.content.decode()
    audit = AuditEvent.objects.get(event_type=AuditEventType.NOTIFICATIONS_CHANGED)
    assert "harmed@example.org" not in json.dumps(audit.data)
    assert "+447700900999" not in json.dumps(audit.data)


@pytest.mark.django_db
def test_the_settings_endpoint_saves_choices() -> None:
    sc = make_case()
    client = verified_session(Client(), sc.responsible)
    response = client.post(
        "/api/notifications/settings",
        json.dumps(
            {
                "channels": ["sms"],
                "phone": "+447700900456",
                "quiet_start": "21:00",
                "quiet_end": "08:00",
                "time_zone": "Europe/London",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    bad = client.post(
        "/api/notifications/settings",
        json.dumps({"channels": ["email"]}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


class _Provider(BaseHTTPRequestHandler):
    received: list[tuple[dict, str]] = []
    status = 202

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Provider.received.append((body, self.headers["Authorization"]))
        self.send_response(_Provider.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


def test_the_http_text_message_adapter_speaks_to_a_real_server() -> None:
    server = HTTPServer(("127.0.0.1", free_port()), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    try:
        with override_settings(RELAY_SMS_URL=url, RELAY_SMS_TOKEN="tok", RELAY_SMS_SENDER="Relay"):
            HttpBackend().send("+447700900123", wording.sms_body("https://relay.example.org"))
            assert _Provider.received[-1] == (
                {
                    "to": "+447700900123",
                    "from": "Relay",
                    "body": wording.sms_body("https://relay.example.org"),
                },
                "Bearer tok",
            )
            _Provider.status = 500
            with pytest.raises(SmsError):
                HttpBackend().send("+447700900123", "x")
        with override_settings(RELAY_SMS_URL=f"http://127.0.0.1:{free_port()}/"):
            with pytest.raises(SmsError):
                HttpBackend().send("+447700900123", "x")
    finally:
        _Provider.status = 202
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_a_failed_channel_leaves_the_batch_pending() -> None:
    sc = make_case()
    opt_in(sc.facilitator, channels=["sms"])
    send(sc, "x")
    with override_settings(
        RELAY_SMS_BACKEND="relay.notifications.sms.HttpBackend",
        RELAY_SMS_URL=f"http://127.0.0.1:{free_port()}/",
    ):
        run = actions.send_due_notifications(now=later())
    assert run.failed == 1 and run.sent == 0
    assert actions.send_due_notifications(now=later()).sent == 1
