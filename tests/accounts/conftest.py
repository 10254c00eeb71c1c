"""Fixtures for the accounts tests: a clean attempt counter and a case whose participants
have been added but have not enrolled yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from relay.accounts import actions as account_actions
from relay.accounts.models import Role, User
from relay.cases import actions as case_actions
from relay.cases.models import Case
from tests.factories import Person, make_person, verified_session


def clear_attempt_counts() -> None:
    """Forget every attempt count, and nothing else: with Redis the cache shares a server
    with the channel layer, so no FLUSHDB."""
    if not settings.REDIS_URL:
        cache.clear()
        return
    import redis

    server = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    for key in server.scan_iter(match=f"{prefix}:*:t:*"):
        server.delete(key)


@pytest.fixture(autouse=True)
def clean_attempt_counts() -> Any:
    clear_attempt_counts()
    yield
    clear_attempt_counts()


@dataclass
class InvitedCase:
    case: Case
    manager: Person
    facilitator: Person
    harmed: User
    responsible: User

    @property
    def id(self) -> str:
        return str(self.case.pk)


def make_invited_case() -> InvitedCase:
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-I{User.objects.count()}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    people = {}
    for side in ("harmed", "responsible"):
        user = account_actions.create_account(
            actor=manager.user,
            username=f"{side}-{case.reference}",
            role=Role.PARTICIPANT,
            display_name=side.title(),
        )
        case_actions.add_participant(actor=manager.user, case_id=case.pk, user=user, side=side)
        people[side] = user
    return InvitedCase(case, manager, facilitator, people["harmed"], people["responsible"])


@pytest.fixture
def invited(db: None) -> InvitedCase:
    return make_invited_case()


def json_post(client: Client, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, body or {}, content_type="application/json", **extra)


@pytest.fixture
def facilitator_client(invited: InvitedCase) -> Client:
    return verified_session(Client(), invited.facilitator)


@pytest.fixture
def manager_client(invited: InvitedCase) -> Client:
    return verified_session(Client(), invited.manager)
