"""The meeting page frames the video provider from its configured domain only, and the
calendar download is the invitee's own."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_case
from tests.moderation.helpers import http_client
from tests.scheduling.helpers import JITSI, confirmed, consent_to_all, soon

pytestmark = pytest.mark.django_db


def test_the_meeting_page_names_the_jitsi_domain_and_nothing_else():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(sc, soon(60 * 30))
    client = http_client(sc.harmed)
    with JITSI():
        response = client.get(f"/meetings/{meeting.pk}")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://meet.example.org" in csp
    assert csp.count("meet.example.org") == 1
    assert "frame-ancestors 'none'" in csp
    assert 'camera=(self "https://meet.example.org")' in response.headers["Permissions-Policy"]
    assert 'id="quick-exit"' in response.content.decode()
    # Without Jitsi, nothing may be framed.
    response = client.get(f"/meetings/{meeting.pk}")
    assert "frame-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Permissions-Policy"].startswith("camera=(self),")


def test_the_calendar_download_is_for_invitees_and_facilitators_only():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(sc, soon(60 * 30), kind="preparation", side="harmed")
    response = http_client(sc.harmed).get(f"/meetings/{meeting.pk}/calendar.ics?link=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Appointment" in response.content.decode()
    assert f"/meetings/{meeting.pk}" in response.content.decode().replace("\r\n ", "")
    url = f"/meetings/{meeting.pk}/calendar.ics"
    assert http_client(sc.facilitator).get(url).status_code == 200
    assert http_client(sc.responsible).get(url).status_code == 404
    assert Client().get(url).status_code == 404
