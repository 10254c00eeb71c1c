"""Accounts announces key changes through the audience cases installs at startup
(relay.accounts.ports); left empty, a key change is refused rather than announced to nobody."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from relay.accounts import actions, ports
from relay.accounts.models import PublicKey
from relay.cases.audience import key_change_audience
from relay_client.crypto import KeyPair
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_cases_installs_its_key_change_audience_at_startup() -> None:
    assert ports._key_audience is key_change_audience


def test_a_key_change_with_no_audience_installed_is_refused_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = make_case()
    monkeypatch.setattr(ports, "_key_audience", None)
    with pytest.raises(ImproperlyConfigured):
        actions.register_key(actor=sc.harmed.user, public_key=KeyPair.generate().public)
    assert list(PublicKey.objects.filter(user=sc.harmed.user).values_list("key_id", flat=True)) == [
        sc.harmed.keypair.key_id  # type: ignore[union-attr]
    ]
