"""The notification pages: a person's own choices, and unsubscribing."""

from __future__ import annotations

import pytest
from django.test import Client

from relay.notifications.models import NotificationPreference
from tests.factories import make_case, verified_session

pytestmark = pytest.mark.django_db


def test_not_signed_in_goes_to_sign_in_and_staff_without_a_second_factor_get_404() -> None:
    assert Client().get("/settings/notifications")["Location"] == "/signin"
    sc = make_case()
    half = Client()
    half.force_login(sc.facilitator.user)
    assert half.get("/settings/notifications").status_code == 404


def test_a_participant_saves_and_sees_their_choices() -> None:
    sc = make_case()
    client = verified_session(Client(), sc.harmed)
    page = client.get("/settings/notifications").content.decode()
    assert "You have a new update on Relay" in page and 'id="channel-email"' in page
    saved = client.post(
        "/settings/notifications",
        {
            "channels": ["email"],
            "email": "me@example.org",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "time_zone": "Europe/London",
        },
    )
    assert "Your choices are saved." in saved.content.decode()
    pref = NotificationPreference.objects.get(user=sc.harmed.user)
    assert pref.channels == ["email"] and pref.email == "me@example.org"
    assert 'value="me@example.org"' in client.get("/settings/notifications").content.decode()


def test_a_bad_choice_is_explained_and_changes_nothing() -> None:
    sc = make_case()
    client = verified_session(Client(), sc.harmed)
    refused = client.post("/settings/notifications", {"channels": ["sms"], "phone": "0770"})
    body = refused.content.decode()
    assert 'role="alert"' in body and "international form" in body
    assert 'value="0770"' in body  # what they typed is kept for them to correct
    assert not NotificationPreference.objects.filter(user=sc.harmed.user).exists()


def test_a_form_sent_from_another_site_is_refused() -> None:
    sc = make_case()
    client = verified_session(Client(), sc.harmed)
    refused = client.post(
        "/settings/notifications",
        {"channels": ["email"], "email": "x@example.org"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    assert not NotificationPreference.objects.filter(user=sc.harmed.user).exists()
