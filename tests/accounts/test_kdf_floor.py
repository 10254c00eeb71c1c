"""The client refuses Argon2id parameters below its floor when a server offers them: it
derives nothing and sends no login key. The test server is configured with the cheap test
parameters (1 pass, 8 MiB), far below the protocol's floor (3 passes, 64 MiB)."""

from __future__ import annotations

import pytest
from django.conf import settings

from relay.accounts.models import Invitation, Role
from relay_client import crypto
from relay_client.client import RelayClient
from tests.accounts.conftest import make_invited_case
from tests.accounts.live import RequestLog
from tests.delivery.live import client_for
from tests.factories import make_person

pytestmark = pytest.mark.live


def test_server_is_configured_weaker_than_the_floor():
    assert settings.RELAY_KDF_OPSLIMIT < crypto.KDF_FLOOR_OPSLIMIT
    assert settings.RELAY_KDF_MEMLIMIT < crypto.KDF_FLOOR_MEMLIMIT


def test_sign_in_refuses_weak_parameters(daphne):
    person = make_person(Role.PARTICIPANT)
    log = RequestLog()
    client = log.attach(RelayClient(daphne.url))  # the protocol's floor
    with pytest.raises(crypto.WeakKdfParameters) as refused:
        client.sign_in(person.user.username, person.password)
    assert "requires at least 3 passes and 64 MiB" in str(refused.value)
    assert log.paths() == ["/api/salt"]  # nothing after the salt: no login key sent
    assert client.me == {}


def test_enrolment_refuses_weak_parameters_and_leaves_the_code_unused(daphne):
    invited = make_invited_case()
    code = client_for(daphne, invited.facilitator).invite_participant(invited.id, "harmed")["code"]
    log = RequestLog()
    client = log.attach(RelayClient(daphne.url))
    with pytest.raises(crypto.WeakKdfParameters):
        client.enrol(code, "a good long password")
    assert "/api/enrol" not in log.paths()
    assert Invitation.objects.get(user=invited.harmed).used_at is None
    assert not invited.harmed.public_keys.exists()


def test_the_floor_itself_is_accepted():
    params = crypto.KdfParams(bytes(16), crypto.KDF_FLOOR_OPSLIMIT, crypto.KDF_FLOOR_MEMLIMIT)
    params.check_floor()
    with pytest.raises(crypto.WeakKdfParameters):
        crypto.KdfParams(
            bytes(16), crypto.KDF_FLOOR_OPSLIMIT, crypto.KDF_FLOOR_MEMLIMIT - 1
        ).check_floor()
    with pytest.raises(crypto.WeakKdfParameters):
        crypto.KdfParams(
            bytes(16), crypto.KDF_FLOOR_OPSLIMIT - 1, crypto.KDF_FLOOR_MEMLIMIT
        ).check_floor()
