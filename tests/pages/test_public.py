"""The hub's public face: every public page answers GET and HEAD, shows the hub's own name and
contact details from its record, has the quick exit and a way home, and the trailing-slash
forms redirect to the one address."""

from __future__ import annotations

import pytest
from django.test import Client

from relay.hub.models import HubSettings

PUBLIC = ["/", "/about", "/help", "/contact", "/privacy", "/accessibility", "/cookies"]


@pytest.fixture
def the_hub(db: None) -> HubSettings:
    return HubSettings.objects.create(
        name="Northshire Restorative Justice",
        phone="0300 123 4567",
        email="rj@northshire.example",
        opening_hours="Monday to Friday, 9am to 5pm",
        about="We are part of the Northshire victims' service.",
        signposting=[
            {"key": "local-ida", "name": "Northshire IDVA service", "helps_with": "Advocacy."}
        ],
    )


@pytest.mark.parametrize("path", PUBLIC)
def test_public_page_shows_the_hubs_own_name_and_the_quick_exit(
    client: Client, the_hub: HubSettings, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quick-exit"' in html
    assert '<a href="/">Home</a>' in html
    assert "no-store" in response.headers["Cache-Control"]
    if path in ("/", "/help", "/contact", "/privacy", "/accessibility"):
        assert "Northshire Restorative Justice" in html
    if path in ("/", "/help", "/contact"):
        assert "0300 123 4567" in html and "Monday to Friday, 9am to 5pm" in html
        assert "Northshire IDVA service" in html


@pytest.mark.parametrize("path", PUBLIC)
def test_public_page_answers_head(client: Client, db: None, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_home_explains_and_links_self_referral(client: Client, db: None) -> None:
    html = client.get("/").content.decode()
    assert "It is not a court" in html
    assert 'href="/refer"' in html and 'href="/signin"' in html


def test_without_a_hub_record_the_national_services_are_signposted(
    client: Client, db: None
) -> None:
    html = client.get("/help").content.decode()
    assert "Restorative justice hub" in html
    assert "Victim Support" in html and "Samaritans" in html


def test_help_explains_the_facilitator_led_reset(client: Client, db: None) -> None:
    html = client.get("/help").content.decode()
    assert "Forgotten your password?" in html
    assert "conversation history opens again" in html


@pytest.mark.parametrize("path", ["/signin/", "/about/", "/cookies/"])
def test_trailing_slash_forms_redirect_to_the_one_address(
    client: Client, db: None, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 301
    assert response.headers["Location"] == path.rstrip("/")


def test_trailing_slash_on_no_page_is_not_found(client: Client, db: None) -> None:
    assert client.get("/cases/not-a-uuid/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404


def test_public_pages_refuse_writes(client: Client, db: None) -> None:
    assert client.post("/about").status_code == 405


def test_staff_pages_say_nothing_of_escape_and_participant_pages_do(
    client: Client, db: None
) -> None:
    staff = client.get("/cases").content.decode()
    assert 'data-staff="true"' in staff and "Escape key" not in staff
    participant = client.get("/conversation").content.decode()
    assert "data-staff" not in participant and "Escape key" in participant
