"""The operators' commands: list meetings without details, send due reminders."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_case
from tests.scheduling.helpers import confirmed, consent_to_all, details_for, soon

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_meetings_lists_without_details_and_send_reminders_sends_once():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(
        sc,
        soon(50),
        medium="in_person",
        details=details_for(sc, [sc.facilitator, sc.harmed, sc.responsible]),
    )
    listed = run("meetings", "--case", sc.case.reference)
    assert str(meeting.pk) in listed and "confirmed" in listed and "2 invited" in listed
    assert "Town Hall" not in listed
    assert str(meeting.pk) in run("meetings", "--upcoming")
    with pytest.raises(CommandError, match="No case"):
        run("meetings", "--case", "NOPE")
    # Confirmed 50 minutes ahead, both reminder times had passed, so none were planned.
    assert run("send_reminders") == "0 reminders sent.\n"
