"""The hub's record: read by anyone, changed by an admin or the command, audited, checked."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.hub.actions import update_hub_settings
from relay.hub.models import HubSettings
from relay.hub.selectors import DEFAULT_HUB, hub, services_by_key, signposting_services
from tests.factories import make_person
from tests.moderation.helpers import assert_plain_english, http_call, http_client

pytestmark = pytest.mark.django_db

SERVICE = {
    "key": "local-support",
    "name": "Local Support",
    "helps_with": "Someone to talk to.",
    "phone": "01632 960001",
    "website": "https://local.example.org",
}


def test_before_anything_is_set_the_defaults_answer() -> None:
    assert hub() == DEFAULT_HUB
    assert [s.key for s in signposting_services()] == [s.key for s in DEFAULT_HUB.signposting]
    status, body = http_call(http_client(None), "GET", "/api/hub")
    assert status == 200
    assert body["name"] == DEFAULT_HUB.name and body["intake_key"] is None
    assert body["signposting"][0]["key"] == "victim-support"


def test_an_admin_changes_some_fields_and_the_rest_stay() -> None:
    admin = make_person(Role.ADMIN)
    status, body = http_call(
        http_client(admin),
        "POST",
        "/api/hub",
        {"name": "Norfolk hub", "phone": "01632 960000", "signposting": [SERVICE]},
    )
    assert status == 200, body
    assert body["name"] == "Norfolk hub" and body["about"] == DEFAULT_HUB.about
    assert body["signposting"] == [SERVICE]
    assert hub().phone == "01632 960000"
    assert services_by_key(["local-support", "unknown"])[0].name == "Local Support"
    event = AuditEvent.objects.get(event_type=AuditEventType.HUB_SETTINGS_CHANGED)
    assert event.actor_id == admin.user.pk
    assert event.data == {"fields": ["name", "phone", "signposting"]}
    # Anyone reads it.
    assert http_call(http_client(None), "GET", "/api/hub")[1]["name"] == "Norfolk hub"


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"colour": "red"},
        {"about": "x" * 2001},
        {"signposting": "Victim Support"},
        {"signposting": [{**SERVICE, "key": "Not A Key"}]},
        {"signposting": [SERVICE, SERVICE]},
        {"signposting": [{**SERVICE, "website": "http://plain.example.org"}]},
        {"signposting": [{**SERVICE, "extra": 1}]},
        {"signposting": [{"key": "x"}]},
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(changes: dict) -> None:
    admin = make_person(Role.ADMIN)
    before = AuditEvent.objects.count()
    status, body = http_call(http_client(admin), "POST", "/api/hub", changes)
    assert status == 400 and body["error"]["code"] == "invalid", body
    assert_plain_english(body["error"]["message"])
    assert not HubSettings.objects.exists() and AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", [Role.HUB_MANAGER, Role.FACILITATOR, Role.REFERRER, None])
def test_only_an_admin_may_change_them(role: str | None) -> None:
    person = make_person(role) if role else None
    status, _ = http_call(http_client(person), "POST", "/api/hub", {"name": "Mine"})
    assert status == (401 if person is None else 404)
    assert hub() == DEFAULT_HUB


def test_the_command_shows_and_sets_them(tmp_path) -> None:
    services = tmp_path / "services.json"
    services.write_text(json.dumps([SERVICE]))
    out = StringIO()
    call_command(
        "hub_settings", "--name", "Suffolk hub", "--signposting", str(services), stdout=out
    )
    shown = json.loads(out.getvalue())
    assert shown["name"] == "Suffolk hub" and shown["signposting"] == [SERVICE]
    assert AuditEvent.objects.get(event_type=AuditEventType.HUB_SETTINGS_CHANGED).actor_id is None
    with pytest.raises(CommandError, match="Invalid name"):
        call_command("hub_settings", "--name", " ", stdout=StringIO())


def test_update_returns_the_hub() -> None:
    assert update_hub_settings(actor=None, changes={"email": "hub@example.org"}).email == (
        "hub@example.org"
    )
