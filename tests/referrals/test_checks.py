"""relay.E010 and relay.E011: production refuses to start with the self-referral page's
abuse controls off."""

from __future__ import annotations

import pytest

from tests.accounts.test_hardening import ids_with


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_intake_checks_fire() -> None:
    assert ids_with() == []
    for bits in (0, 8, 11, 29, "18"):
        assert ids_with(RELAY_REFERRAL_PROOF_BITS=bits) == ["relay.E010"], bits
    for limits in (
        {"referral": (0, 0), "referral_status": (0, 20)},
        {"referral_status": (0, 20)},
    ):
        assert ids_with(RELAY_THROTTLE_LIMITS=limits) == ["relay.E011"], limits
    assert ids_with(RELAY_THROTTLE_LIMITS={"referral": (0, 5), "referral_status": (0, 5)}) == []
