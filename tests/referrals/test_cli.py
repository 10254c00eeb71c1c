"""The intake from the command line, against a live Daphne: a hub manager makes the intake
key, reads a self-referral opened on their device, accepts it, assigns a facilitator
(refused first for training), and declines another with signposting."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from relay.cases.models import Case
from relay.referrals.models import Referral
from tests.accounts.live import weak_floor_client
from tests.client.cli_helpers import run_cli
from tests.factories import make_person

pytestmark = pytest.mark.live


def test_the_intake_through_the_command_line(daphne, monkeypatch) -> None:
    manager = make_person(Role.HUB_MANAGER)
    untrained = make_person(Role.FACILITATOR, name="casey")
    trained = make_person(Role.FACILITATOR, name="jordan")
    trained.user.training_level = "specialist"
    trained.user.save(update_fields=["training_level"])

    def cli(*args: str):
        return run_cli(daphne.url, manager, *args, monkeypatch=monkeypatch)

    made = cli("intake-key")
    assert made.code == 0 and "Made the hub's intake key" in made.out, made.err
    again = cli("intake-key")
    assert again.code == 0 and "Everyone who should hold" in again.out

    person = weak_floor_client(daphne)
    first = person.refer_self({"what_happened": "They smashed my window", "when": "June"})
    second = person.refer_self({"what_happened": "Something far away"})

    listed = cli("referrals")
    assert first["reference"] in listed.out and "They smashed my window" in listed.out

    accepted = cli("accept-referral", first["reference"], "sexual_offence")
    assert accepted.code == 0, accepted.err
    case = Case.objects.get(referral__reference=first["reference"])
    refused = cli("assign", str(case.pk), untrained.user.display_name)
    assert refused.code != 0 and "training" in refused.err
    assigned = cli("assign", str(case.pk), trained.user.display_name)
    assert assigned.code == 0 and "Jordan" in assigned.out, assigned.err

    declined = cli(
        "decline-referral", second["reference"], "outside_area", "--signpost", "victim-support"
    )
    assert declined.code == 0, declined.err
    assert Referral.objects.get(reference=second["reference"]).state == "declined"
    status = person.referral_status(second["reference"], second["check_code"])
    assert [s["key"] for s in status["signposting"]] == ["victim-support"]
    unknown = cli("accept-referral", "ZZZZ-ZZZZ", "other")
    assert unknown.code != 0 and "No referral" in unknown.err
