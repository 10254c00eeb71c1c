"""What one sweep reads (relay.sockets.verdicts_for): two queries however many sockets, each
session decoded again only when its stored data has changed, and the same verdicts as before
for every way a session stops being good."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from relay.accounts.actions.suspension import suspend_account
from relay.accounts.models import Role, User
from relay.sockets import Close, verdicts_for
from tests.factories import make_person, verified_session

pytestmark = pytest.mark.django_db


@dataclass(eq=False)
class Socket:
    user_id: str
    session_key: str
    opened_at: int
    sent_seq: int | None = 0


def signed_in(role: str = Role.PARTICIPANT) -> tuple[User, str]:
    person = make_person(role)
    client = verified_session(Client(), person)
    return person.user, client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def decodings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every session decoding the sweep does, by the stored data it decoded."""
    seen: list[str] = []
    decode = SessionStore.decode

    def counting(self: SessionStore, data: str) -> dict[str, object]:
        seen.append(data)
        return decode(self, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(SessionStore, "decode", counting)
    return seen


def test_one_sweep_is_two_queries_however_many_sockets_and_sessions() -> None:
    people = [signed_in() for _ in range(4)]
    sockets = [
        Socket(str(user.pk), key, int(time.time())) for user, key in people for _ in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        verdicts = verdicts_for(sockets, {})
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert [v.close for v in verdicts] == [None] * 12


def test_a_session_is_decoded_again_only_when_its_stored_data_changed(
    decodings: list[str],
) -> None:
    user, key = signed_in()
    socket = Socket(str(user.pk), key, int(time.time()))
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    decodings.clear()

    verdicts_for([socket], decoded)
    verdicts_for([socket], decoded)
    assert len(decodings) == 1  # the second sweep found the same data

    store = SessionStore(session_key=key)
    store["something"] = "new"  # as a request's activity rewrites the session
    store.save()
    decodings.clear()
    [verdict] = verdicts_for([socket], decoded)
    assert len(decodings) == 1
    assert verdict.close is None
    assert decoded[key][1]["something"] == "new"


def test_the_latest_seq_is_read_fresh_on_every_sweep() -> None:
    user, key = signed_in()
    socket = Socket(str(user.pk), key, int(time.time()))
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    [before] = verdicts_for([socket], decoded)
    User.objects.filter(pk=user.pk).update(event_seq=before.latest + 7)
    [after] = verdicts_for([socket], decoded)
    assert after.latest == before.latest + 7


def test_an_ended_session_closes_and_is_forgotten() -> None:
    user, key = signed_in()
    socket = Socket(str(user.pk), key, int(time.time()))
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    verdicts_for([socket], decoded)
    SessionStore(session_key=key).delete()
    [verdict] = verdicts_for([socket], decoded)
    assert verdict.close == Close.REVOKED
    assert key not in decoded


def test_a_changed_password_closes_even_with_the_session_data_unchanged() -> None:
    user, key = signed_in()
    socket = Socket(str(user.pk), key, int(time.time()))
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    verdicts_for([socket], decoded)
    user.set_password("another login key")
    user.save(update_fields=["password"])
    [verdict] = verdicts_for([socket], decoded)
    assert verdict.close == Close.REVOKED


def test_a_suspended_account_closes() -> None:
    manager = make_person(Role.HUB_MANAGER)
    user, key = signed_in()
    socket = Socket(str(user.pk), key, int(time.time()))
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    verdicts_for([socket], decoded)
    suspend_account(actor=manager.user, user_id=user.pk)
    [verdict] = verdicts_for([socket], decoded)
    assert verdict.close == Close.REVOKED


def test_an_idle_session_closes_from_its_cached_decoding(decodings: list[str]) -> None:
    user, key = signed_in()
    # Opened long ago and never active since: past the idle deadline without any change.
    socket = Socket(str(user.pk), key, int(time.time()) - 10 * 24 * 3600)
    decoded: dict[str, tuple[str, dict[str, object]]] = {}
    decodings.clear()
    verdicts_for([socket], decoded)
    [verdict] = verdicts_for([socket], decoded)
    assert len(decodings) == 1
    assert verdict.close == Close.IDLE
