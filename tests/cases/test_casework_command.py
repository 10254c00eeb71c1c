"""``manage.py casework``: a facilitator at the console walks a case from referred to
active through the audited actions; a refusal is a plain error and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from relay.cases.models import CaseState
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("casework", *args, stdout=out)
    return out.getvalue()


def test_a_case_goes_from_referred_to_active_at_the_console() -> None:
    sc = make_case(active=False)
    who = ["--facilitator", sc.facilitator.user.username, "--reference", sc.case.reference]
    run("assess", *who)
    with pytest.raises(CommandError, match="cannot move to preparation yet"):
        run("prepare", *who)
    run(
        "record",
        *who,
        "--kind",
        "suitability",
        "--fact",
        "reported_to_police=true",
        "--fact",
        "identifiable_parties=true",
        "--fact",
        "responsibility_admitted=true",
        "--fact",
        "both_willing=true",
    )
    run("record", *who, "--kind", "risk_assessment", "--fact", "level=low")
    run("record", *who, "--kind", "approach", "--fact", "response=accepted")
    assert "Preparing" in run("prepare", *who)
    for side in ("harmed", "responsible"):
        run("consent", *who, "--side", side, "--mode", "messages", "--how", "phone")
    assert "Active" in run("start", *who)
    sc.case.refresh_from_db()
    assert sc.case.state == CaseState.ACTIVE
    assert "record" in run("timeline", *who)
    with pytest.raises(CommandError):
        run("record", *who, "--kind", "case_note")
