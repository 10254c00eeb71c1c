"""Open sockets are capped per session and per user (RELAY_MAX_SOCKETS_PER_SESSION,
RELAY_MAX_SOCKETS_PER_USER); one beyond the cap is accepted and closed with 4429."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from relay.accounts.models import Role
from tests.delivery.live import client_for
from tests.factories import make_person
from tests.sockets.live import close_code, raw_socket, tuned_daphne, welcomed

pytestmark = pytest.mark.live
__all__ = ["tuned_daphne"]


def test_sockets_beyond_the_session_and_user_caps_close_with_4429(tuned_daphne) -> None:  # type: ignore[no-untyped-def]
    server = tuned_daphne(RELAY_MAX_SOCKETS_PER_SESSION="3", RELAY_MAX_SOCKETS_PER_USER="5")
    person = make_person(Role.PARTICIPANT)
    laptop, phone = client_for(server, person), client_for(server, person)
    bystander = client_for(server, make_person(Role.PARTICIPANT))
    with ExitStack() as stack:
        on_laptop = [stack.enter_context(raw_socket(server, laptop)) for _ in range(3)]
        for conn in on_laptop:
            welcomed(conn)
        with raw_socket(server, laptop) as fourth:
            assert close_code(fourth) == 4429
        # Another session of the same person: two more, up to the user's five.
        for _ in range(2):
            welcomed(stack.enter_context(raw_socket(server, phone)))
        with raw_socket(server, phone) as sixth:
            assert close_code(sixth) == 4429
        # Someone else is not affected.
        welcomed(stack.enter_context(raw_socket(server, bystander)))
        # Closing one frees its slot.
        on_laptop[0].close()
        deadline = time.monotonic() + 5
        while True:
            with raw_socket(server, laptop) as again:
                import json

                if json.loads(again.recv(timeout=10))["type"] == "welcome":
                    break
            assert time.monotonic() < deadline, "the closed socket kept its slot"
            time.sleep(0.2)
