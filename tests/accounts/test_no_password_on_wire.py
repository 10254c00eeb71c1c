"""No request body (or URL) in enrolment, sign-in, second-factor setup and password change
ever holds the password, in any encoding: the real Python client against a real Daphne,
every request captured with an httpx event hook."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from relay_client.client import RelayApiError
from tests.accounts.conftest import make_invited_case
from tests.accounts.live import RequestLog, secret_forms, totp_now, weak_floor_client
from tests.delivery.live import client_for

pytestmark = pytest.mark.live

PASSWORD = "Blue kettle, 7 swans & a lighthouse!"
NEW_PASSWORD = "Quiet harbour; different words entirely 42"


def leaked(log: RequestLog, *secrets: str) -> list[str]:
    found = []
    for method, url, body in log.requests:
        for secret in secrets:
            for name, form in secret_forms(secret).items():
                if form in body or form in url.encode():
                    found.append(f"{method} {url}: {name}")
    return found


def test_participant_flows_never_send_the_password(daphne):
    invited = make_invited_case()
    facilitator = client_for(daphne, invited.facilitator)
    code = facilitator.invite_participant(invited.id, "harmed")["code"]

    log = RequestLog()
    person = log.attach(weak_floor_client(daphne))
    me = person.enrol(code, PASSWORD)
    assert me["username"] == invited.harmed.username and me["key_id"] == person.keypair.key_id
    first_key = person.keypair
    person.sign_out()
    person.sign_in(invited.harmed.username, PASSWORD)
    assert person.keypair == first_key  # unwrapped from the server with the password
    person.change_password(PASSWORD, NEW_PASSWORD)
    person.sign_out()
    with pytest.raises(RelayApiError) as old:
        person.sign_in(invited.harmed.username, PASSWORD)
    assert old.value.status == 401
    person.sign_in(invited.harmed.username, NEW_PASSWORD)
    assert person.keypair == first_key
    person.sign_out()

    paths = log.paths()
    for needed in (
        "/api/enrol/check",
        "/api/enrol",
        "/api/salt",
        "/api/session",
        "/api/password",
        "/api/keys/wrapped",
    ):
        assert needed in paths, needed
    assert sum(len(body) for _m, _u, body in log.requests) > 500
    assert leaked(log, PASSWORD, NEW_PASSWORD) == []
    # Nor the username in any URL, where access logs would keep it.
    assert not [url for _m, url, _b in log.requests if invited.harmed.username in url]


def test_staff_flows_never_send_the_password_or_the_recovery_key(daphne):
    invited = make_invited_case()
    manager = client_for(daphne, invited.manager)
    code = manager.invite_staff("robin.f", Role.FACILITATOR, "Robin")["code"]

    log = RequestLog()
    staff = log.attach(weak_floor_client(daphne))
    staff.enrol(code, PASSWORD)
    setup = staff.otp_setup()
    backup = staff.otp_confirm(totp_now(setup["otpauth_uri"]))
    assert len(backup) == 10
    recovery_key = staff.create_recovery_key()
    staff.change_password(PASSWORD, NEW_PASSWORD)
    staff.sign_out()
    staff.sign_in("robin.f", NEW_PASSWORD, otp_token=backup[0])
    assert staff.me["second_factor_verified"] is True
    assert staff.keypair is not None
    assert "/api/otp/confirm" in log.paths() and "/api/keys/recovery-wrap" in log.paths()
    assert leaked(log, PASSWORD, NEW_PASSWORD, recovery_key) == []
